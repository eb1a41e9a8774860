"""Topics for a meeting pulled in from the observation figures: the categories, communes and handler
units whose share of requests resolved on time dropped between the last WINDOW_DAYS days and the
WINDOW_DAYS before, by at least MIN_DROP (0.10: ten points). Each suggestion carries its figures and the
observation filters that give the requests behind it.

The figures are ``observation.figures.breakdown`` over the requests filed in each period, in the
organiser's observation scope; a slice under ``GUP_OBSERVATION_MIN_CELL`` measured deadlines in either
period has no rate and is never suggested. Nothing is stored here: taking a suggestion
(``steering.actions.do_take_observation_topic``) computes them again and keeps the figures with the
topic or agenda item it makes."""

import datetime
from dataclasses import asdict, dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from directory.models import Organisation, Unit
from observation.figures import Filters, breakdown
from procedures.models import Category

WINDOW_DAYS = 91
MIN_DROP = 0.10
DIMENSIONS = ("category", "commune", "handler_unit")


@dataclass(frozen=True)
class Suggestion:
    key: str  # "category:bulky", "commune:78901", "handler_unit:ctc-1"
    dimension: str
    name: str
    before: float  # share resolved on time, previous period
    now: float  # share resolved on time, last period
    measured_before: int
    measured_now: int
    since: datetime.date  # the last period (inclusive)
    until: datetime.date
    query: dict  # the observation filters of the slice over the last period

    @property
    def drop_points(self):
        return round((self.before - self.now) * 100)

    @property
    def title(self):
        label = {
            "category": _("Requests of the category %(name)s resolved on time less often"),
            "commune": _("Requests of %(name)s resolved on time less often"),
            "handler_unit": _("Requests handled by %(name)s resolved on time less often"),
        }[self.dimension]
        return label % {"name": self.name}

    @property
    def summary(self):
        return _(
            "Resolved on time: %(before)d %% of %(measured_before)d from %(previous_since)s to "
            "%(previous_until)s, %(now)d %% of %(measured_now)d from %(since)s to %(until)s."
        ) % {
            "before": round(self.before * 100),
            "now": round(self.now * 100),
            "measured_before": self.measured_before,
            "measured_now": self.measured_now,
            "previous_since": _date(self.since - datetime.timedelta(days=WINDOW_DAYS)),
            "previous_until": _date(self.since - datetime.timedelta(days=1)),
            "since": _date(self.since),
            "until": _date(self.until),
        }

    def evidence(self):
        """What a topic or agenda item keeps of it (JSON)."""
        data = asdict(self)
        data["since"], data["until"] = self.since.isoformat(), self.until.isoformat()
        return data


def _date(day):
    from django.utils import formats

    return formats.date_format(day, "SHORT_DATE_FORMAT")


def periods(today=None):
    """(last, previous): the last WINDOW_DAYS days up to yesterday, and the WINDOW_DAYS before."""
    today = today or timezone.localdate()
    until = today - datetime.timedelta(days=1)
    since = until - datetime.timedelta(days=WINDOW_DAYS - 1)
    last = Filters(since=since, until=until)
    previous = Filters(
        since=since - datetime.timedelta(days=WINDOW_DAYS), until=since - datetime.timedelta(days=1)
    )
    return last, previous


def _codes(dimension, ids):
    """The public codes the observation filters take, by id."""
    ids = [i for i in ids if i is not None]
    if dimension == "category":
        return dict(Category.objects.filter(pk__in=ids).values_list("pk", "code"))
    if dimension == "commune":
        return dict(Organisation.objects.filter(pk__in=ids).values_list("pk", "insee"))
    return dict(Unit.objects.filter(pk__in=ids).values_list("pk", "code"))


def suggestions(user, today=None):
    """The suggested topics, the largest drops first."""
    last, previous = periods(today)
    found = []
    for dimension in DIMENSIONS:
        before = {row["key"]: row for row in breakdown(user, previous, dimension)}
        rows = [row for row in breakdown(user, last, dimension) if row["key"] in before]
        codes = _codes(dimension, [row["key"] for row in rows])
        for row in rows:
            now_share = row["resolve"]["on_time_share"]
            before_share = before[row["key"]]["resolve"]["on_time_share"]
            code = codes.get(row["key"])
            if now_share is None or before_share is None or not code:
                continue
            if before_share - now_share < MIN_DROP - 1e-9:
                continue
            filter_name = "handler_unit" if dimension == "handler_unit" else dimension
            found.append(
                Suggestion(
                    key=f"{dimension}:{code}",
                    dimension=dimension,
                    name=row["name"],
                    before=before_share,
                    now=now_share,
                    measured_before=before[row["key"]]["resolve"]["measured"],
                    measured_now=row["resolve"]["measured"],
                    since=last.since,
                    until=last.until,
                    query={
                        "since": last.since.isoformat(),
                        "until": last.until.isoformat(),
                        filter_name: code,
                    },
                )
            )
    return sorted(found, key=lambda s: (-(s.before - s.now), s.key))
