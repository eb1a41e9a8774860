"""The figures of service quality, computed by the database with aggregates (no loop over requests).

Every figure is about the requests FILED in the period (a cohort): how many were done, closed,
rejected..., how long their deadlines took in business time against the target that applied when each
deadline started (``Deadline.target_seconds``), and so on. The backlog curve reads the monthly
snapshots (observation.models.BacklogSnapshot), so it shows what was open at each month's end.

A slice (a row of a breakdown) with fewer requests than ``GUP_OBSERVATION_MIN_CELL`` keeps its counts
but loses its rates and delays (``suppressed``): tiny volumes do not rank anyone. Handlers are sliced by
unit and by kind of organisation, never by agent.

Where the numbers come from: the whole months of the period that the worker has aggregated
(observation.models.MonthlyFigures, MonthlyDelays; observation.actions.monthly) are read from the
aggregates; the rest of the period (a month cut by the period's ends, a month not aggregated yet) is
computed live from the requests, and the two are added. Medians and 90th percentiles are exact: the
aggregates keep the distribution of the business time taken (how many deadlines took each number of
seconds), and the percentile is interpolated from it as PostgreSQL's ``percentile_cont`` does. With no
aggregated month in the period every figure is computed live, as before.

Extension point: ``DIMENSIONS`` maps a slice name to the request fields it groups by (and, when the
slice is one of the aggregates' columns, to them); another app (the sector procedures) adds its own
with ``register_dimension``; a slice the aggregates do not know is computed live.
"""

import datetime
from dataclasses import dataclass, replace

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    DateField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import ExtractYear, Floor, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from engine.models import Alert, AuditEntry, Deadline, DeadlineState
from observation import conf
from observation.aggregates import Percentile, distribution_stats
from observation.models import (
    AggregatedMonth,
    BacklogSnapshot,
    Fine,
    MonthlyDelays,
    MonthlyFigures,
    SnapshotMonth,
)
from observation.scope import observation_q
from procedures.models import InterventionRequest, Urgency

DEADLINE_KINDS = ("acknowledge", "resolve")
URGENCY_CHECK = "urgency_check"
REOPENED_FROM = ("done", "closed")
# The request fields a row of the monthly aggregates is counted by (observation.models.AggregateCell).
CELL_FIELDS = (
    "commune_id", "in_qpv", "category_id", "category_group_id", "handler_organisation_id", "handler_unit_id",
    "sector_version_id",
)  # fmt: skip


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
    return q & _slice_q(filters, prefix)


def _slice_q(filters, prefix=""):
    """The filters but the period, over request fields (or the aggregates' columns of the same names)."""
    q = Q()
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


def observed_requests(user, filters, period=None):
    """The requests behind the figures: in the user's observation scope, filed in the period (or in
    ``period``, a Q over ``created_at``), filtered."""
    dates = _request_q(filters) if period is None else period & _slice_q(filters)
    queryset = InterventionRequest.objects.filter(dates)
    scope = observation_q(user)
    return queryset if scope is None else queryset.filter(scope)


def _observed_cells(model, user, filters, months):
    queryset = model.objects.filter(Q(month__in=months) & _slice_q(filters))
    scope = observation_q(user)
    return queryset if scope is None else queryset.filter(scope)


@dataclass(frozen=True)
class Plan:
    """Where the figures of a period come from: ``months``, the whole months read from the aggregates,
    and ``live``, a Q over ``created_at`` for the rest (None when nothing is left)."""

    months: tuple
    live: Q | None
    stamp: tuple = ()  # (month, refreshed_at) of the months read from the aggregates


def _month_starts(since, until):
    month = since.replace(day=1)
    while month <= until:
        yield month
        month = (month + datetime.timedelta(days=32)).replace(day=1)


def plan(filters):
    """One query: which months of the period are aggregated. A month counts as whole when the period
    covers it up to its end, or up to now for the current month."""
    aggregated = dict(
        AggregatedMonth.objects.filter(
            month__gte=filters.since.replace(day=1), month__lte=filters.until
        ).values_list("month", "refreshed_at")
    )
    now = timezone.now()
    months, ranges = [], []
    for first in _month_starts(filters.since, filters.until):
        start = _aware(first)
        end = _aware((first + datetime.timedelta(days=32)).replace(day=1))
        low, high = max(start, filters.start), min(end, filters.end)
        if first in aggregated and low == start and (high == end or high > now):
            months.append(first)
        elif ranges and ranges[-1][1] == low:
            ranges[-1] = (ranges[-1][0], high)
        else:
            ranges.append((low, high))
    live = None
    for low, high in ranges:
        q = Q(created_at__gte=low, created_at__lt=high)
        live = q if live is None else live | q
    return Plan(months=tuple(months), live=live, stamp=tuple((m, aggregated[m]) for m in months))


# --- slices ----------------------------------------------------------------------------------------------
def _season(prefix):
    return Case(
        When(Q(**{f"{prefix}created_at__month__in": [12, 1, 2]}), then=Value("winter")),
        When(Q(**{f"{prefix}created_at__month__in": [3, 4, 5]}), then=Value("spring")),
        When(Q(**{f"{prefix}created_at__month__in": [6, 7, 8]}), then=Value("summer")),
        default=Value("autumn"),
    )


def _cell_season():
    return Case(
        When(month__month__in=[12, 1, 2], then=Value("winter")),
        When(month__month__in=[3, 4, 5], then=Value("spring")),
        When(month__month__in=[6, 7, 8], then=Value("summer")),
        default=Value("autumn"),
    )


def _field(key, name=None):
    def expressions(prefix):
        out = {"key": F(f"{prefix}{key}")}
        if name:
            out["name"] = F(f"{prefix}{name}")
        return out

    return expressions


@dataclass(frozen=True)
class Dimension:
    """A slice: ``expressions(prefix)`` gives {"key": expression[, "name": expression]} over the
    request's fields under ``prefix``; ``cell_expressions()`` the same over the monthly aggregates'
    columns (None: the slice is always computed live)."""

    label: object
    expressions: object
    cell_expressions: object = None


def _column(label, key, name=None):
    """A slice by one of the request fields the aggregates also have (same column names)."""
    expressions = _field(key, name)
    return Dimension(label, expressions, lambda: expressions(""))


DIMENSIONS = {
    "handler_unit": _column(_("Handler unit"), "handler_unit_id", "handler_unit__name"),
    "handler_kind": _column(_("Kind of handler"), "handler_organisation__kind"),
    "commune": _column(_("Commune"), "commune_id", "commune__name"),
    "qpv": _column(_("In a QPV"), "in_qpv"),
    "category": _column(_("Category"), "category_id", "category__name"),
    "group": _column(_("Group"), "category_group_id", "category_group__name"),
    "month": Dimension(
        _("Month"), lambda p: {"key": TruncMonth(f"{p}created_at")}, lambda: {"key": F("month")}
    ),
    "season": Dimension(_("Season"), lambda p: {"key": _season(p)}, lambda: {"key": _cell_season()}),
    "year": Dimension(
        _("Year"), lambda p: {"key": ExtractYear(f"{p}created_at")}, lambda: {"key": ExtractYear("month")}
    ),
}
SEASONS = {"winter": _("Winter"), "spring": _("Spring"), "summer": _("Summer"), "autumn": _("Autumn")}


def register_dimension(name, label, expressions, cell_expressions=None):
    """Add a slice: ``expressions(prefix)`` returns {"key": expression[, "name": expression]} over the
    request's fields under ``prefix`` (e.g. a sector procedure reached from the request);
    ``cell_expressions()``, when given, the same over the monthly aggregates' columns."""
    DIMENSIONS[name] = Dimension(label, expressions, cell_expressions)


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
    """The measured deadlines of ``kind`` (or of the kinds of a tuple) of ``requests``."""
    return Deadline.objects.filter(
        Q(kind__in=kind) if isinstance(kind, tuple) else Q(kind=kind),
        case_id__in=requests.values("case_id"),
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


VOLUME_KEYS = tuple(_request_aggregates())
ALERT_KEYS = ("raised", "urgency_checks", "upheld", "dismissed", "undecided", "deadline_alerts")
# the aggregates' column of each alert count
ALERT_COLUMNS = dict(zip(ALERT_KEYS, ("alerts_raised", *ALERT_KEYS[1:]), strict=True))


def _add(into, row, keys):
    for key in keys:
        into[key] = (into.get(key) or 0) + (row.get(key) or 0)
    return into


def _key(value):
    if isinstance(value, datetime.datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    return value


def _volume_rows(user, filters, the_plan, by=None):
    """{key: {name, filed, done, ...}} (key None without ``by``), aggregates and live added."""
    out = {}
    dimension = DIMENSIONS[by] if by else None
    if the_plan.months:
        cells = _observed_cells(MonthlyFigures, user, filters, the_plan.months)
        sums = {key: Sum(key) for key in VOLUME_KEYS}
        grouped = cells.values(**dimension.cell_expressions()) if by else cells
        rows = grouped.annotate(**sums).order_by() if by else [grouped.aggregate(**sums)]
        for row in rows:
            slot = out.setdefault(_key(row.get("key")), {"name": row.get("name")})
            _add(slot, row, VOLUME_KEYS)
    if the_plan.live is not None:
        requests = observed_requests(user, filters, the_plan.live)
        if by:
            rows = requests.values(**dimension.expressions("")).annotate(**_request_aggregates()).order_by()
        else:
            rows = [requests.aggregate(**_request_aggregates())]
        for row in rows:
            slot = out.setdefault(_key(row.get("key")), {"name": row.get("name")})
            _add(slot, row, VOLUME_KEYS)
    return out


def _delay_rows(user, filters, the_plan, by=None):
    """{kind: {key: the row of ``_deadline_aggregates`` plus "name"}} for the measured deadlines of
    each kind, from the aggregates' distribution and the live part together, worked out by the
    database in one query (observation.aggregates.distribution_stats)."""
    dimension = DIMENSIONS[by] if by else None
    nothing = {"key": Value(None, output_field=CharField()), "name": Value(None, output_field=CharField())}
    parts = []
    if the_plan.months:
        cells = _observed_cells(MonthlyDelays, user, filters, the_plan.months).filter(kind__in=DEADLINE_KINDS)
        expressions = dict(nothing)
        if by:
            expressions.update(dimension.cell_expressions())
        parts.append(
            cells.values(**expressions, kind_=F("kind"), taken=F("taken_seconds"), target=F("target_seconds"))
            .annotate(n=Sum("count"), w=Sum("waited"), ws=Sum("waited_seconds"))
            .order_by()
        )
    if the_plan.live is not None:
        deadlines = _measured_deadlines(observed_requests(user, filters, the_plan.live), DEADLINE_KINDS)
        expressions = dict(nothing)
        if by:
            expressions.update(dimension.expressions("case__intervention_request__"))
        parts.append(
            deadlines.values(
                **expressions, kind_=F("kind"), taken=F("taken_seconds"), target=F("target_seconds")
            )
            .annotate(n=Count("pk"), w=Count("pk", filter=Q(waited_seconds__gt=0)), ws=Sum("waited_seconds"))
            .order_by()
        )
    inner = parts[0] if len(parts) == 1 else parts[0].union(parts[1], all=True)
    field = parts[0].query.annotations["key"].output_field
    out = {kind: {} for kind in DEADLINE_KINDS}
    for (kind, key), row in distribution_stats(inner).items():
        out[kind][_raw_key(key, field)] = row
    return out


def _raw_key(value, field):
    """A key read by a raw cursor (SQLite gives texts and 0/1) as the ORM gives it."""
    if value is None:
        return None
    if isinstance(field, BooleanField):
        return bool(value)
    if isinstance(field, DateField):  # a month (DateTimeField is a DateField too)
        if isinstance(value, str):
            return datetime.date.fromisoformat(value[:10])
        return _key(value)
    if isinstance(field, IntegerField) and not isinstance(value, int):
        return int(value)
    return value


def _alert_and_fine_sums(user, filters, the_plan):
    alerts = dict.fromkeys(ALERT_KEYS, 0)
    fined = {"count": 0, "amount_eur": None}

    def add_amount(amount):
        if amount is not None:
            fined["amount_eur"] = amount if fined["amount_eur"] is None else fined["amount_eur"] + amount

    if the_plan.months:
        cells = _observed_cells(MonthlyFigures, user, filters, the_plan.months)
        row = cells.aggregate(
            **{key: Sum(column) for key, column in ALERT_COLUMNS.items()},
            fines=Sum("fines"), fines_amount_eur=Sum("fines_amount_eur"),
        )  # fmt: skip
        _add(alerts, row, ALERT_KEYS)
        fined["count"] += row["fines"] or 0
        add_amount(row["fines_amount_eur"])
    if the_plan.live is not None:
        requests = observed_requests(user, filters, the_plan.live)
        _add(alerts, _alerts(requests), ALERT_KEYS)
        row = fines(requests)
        fined["count"] += row["count"]
        add_amount(row["amount_eur"])
    return alerts, fined


def headline(user, filters):
    """The figures of the whole selection: volumes, delays by kind, alerts, fines."""
    min_cell = conf.get("GUP_OBSERVATION_MIN_CELL")
    the_plan = plan(filters)
    if not the_plan.months:
        return _live_headline(user, filters, min_cell)
    volumes = _volume_rows(user, filters, the_plan).get(None, {})
    volumes = _finish_volumes(_add({}, volumes, VOLUME_KEYS), min_cell)
    measured = _delay_rows(user, filters, the_plan)
    delays = {}
    for kind in DEADLINE_KINDS:
        delays[kind] = _finish_delays(measured[kind].get(None, EMPTY_DELAYS), min_cell)
    alerts, fined = _alert_and_fine_sums(user, filters, the_plan)
    return {"volumes": volumes, "delays": delays, "alerts": alerts, "fines": fined}


def _live_headline(user, filters, min_cell):
    requests = observed_requests(user, filters)
    volumes = _finish_volumes(requests.aggregate(**_request_aggregates()), min_cell)
    delays = {}
    for kind in DEADLINE_KINDS:
        row = _measured_deadlines(requests, kind).aggregate(**_deadline_aggregates())
        delays[kind] = _finish_delays(row, min_cell)
    return {"volumes": volumes, "delays": delays, "alerts": _alerts(requests), "fines": fines(requests)}


def alerts(requests):
    """The alerts raised on the selection's cases, and the DVQ's decisions on urgency checks."""
    return _alerts(requests)


def _alerts(requests):
    return Alert.objects.filter(case_id__in=requests.values("case_id")).aggregate(
        raised=Count("pk"),
        urgency_checks=Count("pk", filter=Q(code=URGENCY_CHECK)),
        upheld=Count("pk", filter=Q(code=URGENCY_CHECK, outcome="upheld")),
        dismissed=Count("pk", filter=Q(code=URGENCY_CHECK, outcome="dismissed")),
        undecided=Count("pk", filter=Q(code=URGENCY_CHECK, outcome="")),
        deadline_alerts=Count("pk", filter=~Q(code=URGENCY_CHECK)),
    )


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


def fines_by(user, filters, by):
    """Fines per commune or category of the selection: [{key, name, count, amount_eur}] by name (the
    slices without a fine left out), from the aggregates and the live part."""
    the_plan = plan(filters)
    out = {}
    if the_plan.months:
        cells = _observed_cells(MonthlyFigures, user, filters, the_plan.months).filter(fines__gt=0)
        field = {"commune": "commune", "category": "category"}[by]
        for row in (
            cells.values(key=F(f"{field}_id"), name=F(f"{field}__name"))
            .annotate(count=Sum("fines"), amount_eur=Sum("fines_amount_eur"))
            .order_by()
        ):
            out[row["key"]] = row
    if the_plan.live is not None:
        for row in fines(observed_requests(user, filters, the_plan.live), by=by):
            slot = out.setdefault(row["key"], {"key": row["key"], "name": row["name"], "count": 0,
                                               "amount_eur": None})  # fmt: skip
            slot["count"] += row["count"]
            if row["amount_eur"] is not None:
                slot["amount_eur"] = (slot["amount_eur"] or 0) + row["amount_eur"]
    return sorted(out.values(), key=lambda row: (row["name"], row["key"]))


EMPTY_DELAYS = {
    "measured": 0, "median_seconds": None, "p90_seconds": None, "on_time": 0, "waited": 0,
    "waited_seconds": None, "target_seconds": None,
}  # fmt: skip


def breakdown(user, filters, by):
    """One row per slice of ``by``: the same volumes and delays, suppressed under the minimum cell."""
    if by not in DIMENSIONS:
        raise KeyError(by)
    min_cell = conf.get("GUP_OBSERVATION_MIN_CELL")
    the_plan = plan(filters)
    if DIMENSIONS[by].cell_expressions is None or not the_plan.months:
        rows = _live_breakdown(user, filters, by, min_cell)
    else:
        rows = {}
        for key, row in _volume_rows(user, filters, the_plan, by).items():
            rows[key] = {"key": key, "name": row.get("name"), **_finish_volumes(row, min_cell)}
        measured = _delay_rows(user, filters, the_plan, by)
        for kind in DEADLINE_KINDS:
            for key, row in measured[kind].items():
                out = rows.setdefault(key, {"key": key, "name": row.get("name"), "filed": 0})
                out[kind] = _finish_delays(row, min_cell)
    empty = _finish_delays(EMPTY_DELAYS, min_cell)
    out = []
    for _slot_key, slot in sorted(rows.items(), key=_sort_key):  # the same order on every database
        for kind in DEADLINE_KINDS:
            slot.setdefault(kind, empty)
        key = slot["key"]
        if by == "season":
            slot["name"] = str(SEASONS.get(key, key))
        elif by == "qpv":
            slot["name"] = str(_("In a QPV") if key else _("Outside QPV"))
        elif slot.get("name") is None:
            slot["name"] = "" if key is None else str(key)
        out.append(slot)
    return out


def _sort_key(item):
    """By key, the empty key last (as PostgreSQL orders NULL)."""
    key = item[0]
    return (key is None, key if key is not None else 0)


def _live_breakdown(user, filters, by, min_cell):
    expressions = DIMENSIONS[by].expressions
    requests = observed_requests(user, filters)
    rows = {}
    for row in requests.values(**expressions("")).annotate(**_request_aggregates()).order_by("key"):
        key = _key(row["key"])
        rows[key] = {"key": key, "name": row.get("name"), **_finish_volumes(row, min_cell)}
    for kind in DEADLINE_KINDS:
        deadlines = _measured_deadlines(requests, kind)
        grouped = deadlines.values(**expressions("case__intervention_request__"))
        for row in grouped.annotate(**_deadline_aggregates()).order_by("key"):
            key = _key(row["key"])
            slot = rows.setdefault(key, {"key": key, "name": row.get("name"), "filed": 0})
            slot[kind] = _finish_delays(row, min_cell)
    return rows


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
