"""The figures of service quality, computed by the database with aggregates (no loop over requests).

Every figure is about the requests FILED in the period (a cohort): how many were done, closed,
rejected..., how long their deadlines took in business time against the target that applied when each
deadline started (``Deadline.target_seconds``), and so on. The backlog curve reads the monthly
snapshots (observation.models.BacklogSnapshot), so it shows what was open at each month's end.

A slice (a row of a breakdown) with fewer requests than ``GUP_OBSERVATION_MIN_CELL`` keeps its counts
but loses its rates and delays (``suppressed``): tiny volumes do not rank anyone. Handlers are sliced by
unit and by kind of organisation, never by agent.

Extension point: ``DIMENSIONS`` maps a slice name to the request fields it groups by; another app (the
sector procedures, issue 13) adds its own with ``register_dimension``.
"""

import datetime
from dataclasses import dataclass, replace

from django.db.models import Case, Count, Exists, F, OuterRef, Q, Sum, Value, When
from django.db.models.functions import ExtractYear, Floor, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from engine.models import Alert, AuditEntry, Deadline, DeadlineState
from observation import conf
from observation.aggregates import Percentile
from observation.models import BacklogSnapshot, Fine, SnapshotMonth
from observation.scope import observation_q
from procedures.models import InterventionRequest, Urgency

DEADLINE_KINDS = ("acknowledge", "resolve")
URGENCY_CHECK = "urgency_check"
REOPENED_FROM = ("done", "closed")


@dataclass(frozen=True)
class Filters:
    """What the figures are computed over. ``until`` is inclusive (a day)."""

    since: datetime.date
    until: datetime.date
    commune_id: int | None = None
    in_qpv: bool | None = None
    category_id: int | None = None
    group_id: int | None = None
    handler_unit_id: int | None = None
    handler_kind: str | None = None

    @property
    def start(self):
        return _aware(self.since)

    @property
    def end(self):
        return _aware(self.until + datetime.timedelta(days=1))

    def previous_year(self):
        return replace(self, since=_minus_year(self.since), until=_minus_year(self.until))


def _aware(day):
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_current_timezone())


def _minus_year(day):
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _request_q(filters, prefix=""):
    q = Q(**{f"{prefix}created_at__gte": filters.start, f"{prefix}created_at__lt": filters.end})
    for field, value in [
        ("commune_id", filters.commune_id),
        ("in_qpv", filters.in_qpv),
        ("category_id", filters.category_id),
        ("category_group_id", filters.group_id),
        ("handler_unit_id", filters.handler_unit_id),
        ("handler_organisation__kind", filters.handler_kind),
    ]:
        if value is not None:
            q &= Q(**{f"{prefix}{field}": value})
    return q


def observed_requests(user, filters):
    """The requests behind the figures: in the user's observation scope, filed in the period, filtered."""
    queryset = InterventionRequest.objects.filter(_request_q(filters))
    scope = observation_q(user)
    return queryset if scope is None else queryset.filter(scope)


# --- slices ----------------------------------------------------------------------------------------------
def _season(prefix):
    return Case(
        When(Q(**{f"{prefix}created_at__month__in": [12, 1, 2]}), then=Value("winter")),
        When(Q(**{f"{prefix}created_at__month__in": [3, 4, 5]}), then=Value("spring")),
        When(Q(**{f"{prefix}created_at__month__in": [6, 7, 8]}), then=Value("summer")),
        default=Value("autumn"),
    )


def _field(key, name=None):
    def expressions(prefix):
        out = {"key": F(f"{prefix}{key}")}
        if name:
            out["name"] = F(f"{prefix}{name}")
        return out

    return expressions


# name: (label, function(prefix) -> {"key": expression[, "name": expression]})
DIMENSIONS = {
    "handler_unit": (_("Handler unit"), _field("handler_unit_id", "handler_unit__name")),
    "handler_kind": (_("Kind of handler"), _field("handler_organisation__kind")),
    "commune": (_("Commune"), _field("commune_id", "commune__name")),
    "qpv": (_("In a QPV"), _field("in_qpv")),
    "category": (_("Category"), _field("category_id", "category__name")),
    "group": (_("Group"), _field("category_group_id", "category_group__name")),
    "month": (_("Month"), lambda p: {"key": TruncMonth(f"{p}created_at")}),
    "season": (_("Season"), lambda p: {"key": _season(p)}),
    "year": (_("Year"), lambda p: {"key": ExtractYear(f"{p}created_at")}),
}
SEASONS = {"winter": _("Winter"), "spring": _("Spring"), "summer": _("Summer"), "autumn": _("Autumn")}


def register_dimension(name, label, expressions):
    """Add a slice: ``expressions(prefix)`` returns {"key": expression[, "name": expression]} over the
    request's fields under ``prefix`` (e.g. a sector procedure reached from the request)."""
    DIMENSIONS[name] = (label, expressions)


# --- aggregates ------------------------------------------------------------------------------------------
def _request_aggregates():
    reopened = AuditEntry.objects.filter(
        case_id=OuterRef("case_id"), from_state__in=REOPENED_FROM, to_state="qualified"
    )
    redirected = AuditEntry.objects.filter(case_id=OuterRef("case_id"), to_state="redirected")
    fined = Fine.objects.filter(request_id=OuterRef("pk"))
    return {
        "filed": Count("pk"),
        "done": Count("pk", filter=Q(resolved_at__isnull=False)),
        "closed": Count("pk", filter=Q(case__state="closed")),
        "rejected": Count("pk", filter=Q(case__state="rejected")),
        "merged": Count("pk", filter=Q(case__state="duplicate")),
        "redirected": Count("pk", filter=Exists(redirected)),
        "reopened": Count("pk", filter=Exists(reopened)),
        "urgent": Count("pk", filter=Q(urgency_requested=Urgency.URGENT)),
        "unjustified_urgent": Count(
            "pk", filter=Q(urgency_requested=Urgency.URGENT, urgency_justified=False)
        ),
        "with_fine": Count("pk", filter=Exists(fined)),
    }


def _deadline_aggregates():
    measured = Q(taken_seconds__isnull=False)
    return {
        "measured": Count("pk", filter=measured),
        "median_seconds": Percentile("taken_seconds", 0.5),
        "p90_seconds": Percentile("taken_seconds", 0.9),
        "on_time": Count("pk", filter=measured & Q(taken_seconds__lte=F("target_seconds"))),
        "waited": Count("pk", filter=Q(waited_seconds__gt=0)),
        "waited_seconds": Sum("waited_seconds"),
        "target_seconds": Percentile("target_seconds", 0.5),
    }


def _measured_deadlines(requests, kind):
    return Deadline.objects.filter(
        case_id__in=requests.values("case_id"),
        kind=kind,
        state__in=(DeadlineState.MET, DeadlineState.BREACHED),
        taken_seconds__isnull=False,
        target_seconds__isnull=False,
    )


def _rate(part, whole):
    return None if not whole else round(part / whole, 4)


def _hours(seconds):
    return None if seconds is None else round(seconds / 3600, 2)


def _finish_volumes(row, min_cell):
    filed = row["filed"]
    suppressed = filed < min_cell
    out = {key: row[key] for key in _request_aggregates()}
    out["suppressed"] = suppressed
    for name, part in [
        ("reopen_rate", "reopened"),
        ("urgent_share", "urgent"),
        ("done_rate", "done"),
    ]:
        out[name] = None if suppressed else _rate(row[part], filed)
    out["unjustified_share"] = None if suppressed else _rate(row["unjustified_urgent"], row["urgent"])
    return out


def _finish_delays(row, min_cell):
    measured = row["measured"]
    suppressed = measured < min_cell
    return {
        "measured": measured,
        "suppressed": suppressed,
        "median_hours": None if suppressed else _hours(row["median_seconds"]),
        "p90_hours": None if suppressed else _hours(row["p90_seconds"]),
        "target_hours": _hours(row["target_seconds"]),
        "on_time": None if suppressed else row["on_time"],
        "on_time_share": None if suppressed else _rate(row["on_time"], measured),
        "waited": row["waited"],
        "mean_wait_hours": None
        if suppressed or not row["waited"]
        else _hours(row["waited_seconds"] / row["waited"]),
    }


def headline(user, filters):
    """The figures of the whole selection: volumes, delays by kind, alerts, fines."""
    min_cell = conf.get("GUP_OBSERVATION_MIN_CELL")
    requests = observed_requests(user, filters)
    volumes = _finish_volumes(requests.aggregate(**_request_aggregates()), min_cell)
    delays = {}
    for kind in DEADLINE_KINDS:
        row = _measured_deadlines(requests, kind).aggregate(**_deadline_aggregates())
        delays[kind] = _finish_delays(row, min_cell)
    return {"volumes": volumes, "delays": delays, "alerts": alerts(requests), "fines": fines(requests)}


def alerts(requests):
    """The alerts raised on the selection's cases, and the DVQ's decisions on urgency checks."""
    rows = Alert.objects.filter(case_id__in=requests.values("case_id")).aggregate(
        raised=Count("pk"),
        urgency_checks=Count("pk", filter=Q(code=URGENCY_CHECK)),
        upheld=Count("pk", filter=Q(code=URGENCY_CHECK, outcome="upheld")),
        dismissed=Count("pk", filter=Q(code=URGENCY_CHECK, outcome="dismissed")),
        undecided=Count("pk", filter=Q(code=URGENCY_CHECK, outcome="")),
        deadline_alerts=Count("pk", filter=~Q(code=URGENCY_CHECK)),
    )
    return rows


def fines(requests, *, by=None):
    """Fines issued after the selection's requests: total, and per commune or category when ``by``."""
    queryset = Fine.objects.filter(request__in=requests)
    if by is None:
        return queryset.aggregate(count=Count("pk"), amount_eur=Sum("amount_eur"))
    field = {"commune": "request__commune", "category": "request__category"}[by]
    return list(
        queryset.values(key=F(f"{field}_id"), name=F(f"{field}__name"))
        .annotate(count=Count("pk"), amount_eur=Sum("amount_eur"))
        .order_by("name")
    )


def breakdown(user, filters, by):
    """One row per slice of ``by``: the same volumes and delays, suppressed under the minimum cell."""
    if by not in DIMENSIONS:
        raise KeyError(by)
    min_cell = conf.get("GUP_OBSERVATION_MIN_CELL")
    expressions = DIMENSIONS[by][1]
    requests = observed_requests(user, filters)
    rows = {}
    for row in requests.values(**expressions("")).annotate(**_request_aggregates()).order_by("key"):
        rows[row["key"]] = {"key": row["key"], "name": row.get("name"), **_finish_volumes(row, min_cell)}
    for kind in DEADLINE_KINDS:
        deadlines = _measured_deadlines(requests, kind)
        grouped = deadlines.values(**expressions("case__intervention_request__"))
        for row in grouped.annotate(**_deadline_aggregates()).order_by("key"):
            slot = rows.setdefault(row["key"], {"key": row["key"], "name": row.get("name"), "filed": 0})
            slot[kind] = _finish_delays(row, min_cell)
    empty = _finish_delays(
        {"measured": 0, "median_seconds": None, "p90_seconds": None, "on_time": 0, "waited": 0,
         "waited_seconds": None, "target_seconds": None},
        min_cell,
    )  # fmt: skip
    out = []
    for slot in rows.values():
        for kind in DEADLINE_KINDS:
            slot.setdefault(kind, empty)
        key = slot["key"]
        if isinstance(key, datetime.datetime):
            slot["key"] = timezone.localdate(key) if timezone.is_aware(key) else key.date()
        if by == "season":
            slot["name"] = str(SEASONS.get(key, key))
        elif by == "qpv":
            slot["name"] = str(_("In a QPV") if key else _("Outside QPV"))
        elif slot.get("name") is None:
            slot["name"] = "" if key is None else str(key)
        out.append(slot)
    return out


def backlog(user, filters):
    """Requests still to be done at the end of each month of the period, from the monthly snapshots:
    [{month, open, overdue}] for every month that has a snapshot (0 when nothing was open)."""
    q = Q(month__gte=filters.since.replace(day=1), month__lte=filters.until)
    for field, value in [
        ("commune_id", filters.commune_id),
        ("in_qpv", filters.in_qpv),
        ("category_id", filters.category_id),
        ("category__group_id", filters.group_id),
        ("handler_unit_id", filters.handler_unit_id),
        ("handler_organisation__kind", filters.handler_kind),
    ]:
        if value is not None:
            q &= Q(**{field: value})
    scope = observation_q(user)
    queryset = BacklogSnapshot.objects.filter(q)
    if scope is not None:
        queryset = queryset.filter(scope)
    counted = {
        row["month"]: row
        for row in queryset.values("month")
        .annotate(open=Sum("open_count"), overdue=Sum("overdue_count"))
        .order_by("month")
    }
    months = SnapshotMonth.objects.filter(month__gte=filters.since.replace(day=1), month__lte=filters.until)
    return [
        {
            "month": month,
            "open": counted.get(month, {}).get("open", 0),
            "overdue": counted.get(month, {}).get("overdue", 0),
        }
        for month in months.order_by("month").values_list("month", flat=True)
    ]


def year_over_year(user, filters):
    """The headline figures of the period and of the same period a year before, side by side."""
    return {"current": headline(user, filters), "previous": headline(user, filters.previous_year())}


def density(user, filters, cell_m=1000):
    """Requests per square of ``cell_m`` metres (Lambert-93), counted by the database:
    {"cell_m", "columns", "rows", "cells": {(column, row): count}, "origin": (x, y)} (row 0 south)."""
    requests = observed_requests(user, filters)
    counted = list(
        requests.values(cx=Floor(F("x_l93") / cell_m), cy=Floor(F("y_l93") / cell_m))
        .annotate(n=Count("pk"))
        .order_by()
    )
    if not counted:
        return {"cell_m": cell_m, "columns": 0, "rows": 0, "cells": {}, "origin": None, "top": []}
    xs, ys = [int(row["cx"]) for row in counted], [int(row["cy"]) for row in counted]
    x0, y0 = min(xs), min(ys)
    cells = {(int(row["cx"]) - x0, int(row["cy"]) - y0): row["n"] for row in counted}
    top = sorted(counted, key=lambda row: (-row["n"], row["cx"], row["cy"]))[:15]
    return {
        "cell_m": cell_m,
        "columns": max(xs) - x0 + 1,
        "rows": max(ys) - y0 + 1,
        "cells": cells,
        "origin": (x0 * cell_m, y0 * cell_m),
        "top": [
            {
                "x_m": (int(row["cx"]) + 0.5) * cell_m,
                "y_m": (int(row["cy"]) + 0.5) * cell_m,
                "count": row["n"],
            }
            for row in top
        ],
    }
