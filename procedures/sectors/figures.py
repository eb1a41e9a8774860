"""The figures of a sector procedure: coverage of the catalogue by its split, pooled means consumption, and
the yearly evaluation figures (volumes, delays against service levels, share on time, reopen rate,
unjustified urgencies, pooled means consumed) for a perimeter and a period."""

import datetime
from collections import Counter
from decimal import Decimal

import shapely
import shapely.prepared
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from engine.models import Deadline, DeadlineState
from procedures.models import Category, InterventionRequest, MessageKind, RequestMessage, Urgency
from procedures.sectors.models import CapacityUnit, SectorTimeSpent

WARNING_PCT = (Decimal(80), Decimal(100))


# --- coverage of the catalogue ----------------------------------------------------------------------


def coverage(version):
    """Every active category of the catalogue and who acts for it inside the perimeter: the rows that
    cover it (always, or only in a zone or a season), and what happens elsewhere (the delegated manager,
    or the usual routing) — no silent gap."""
    rows = list(version.split_rows.select_related("unit", "zone", "category", "category_group"))
    manager = version.delegated_manager
    fallback = (
        _("the delegated manager %(org)s") % {"org": manager.name}
        if manager is not None and manager.kind != "cu"
        else _("the usual routing rules")
    )
    result = []
    for category in (
        Category.objects.filter(is_active=True).select_related("group").order_by("group__position", "code")
    ):
        covering = [
            row
            for row in rows
            if row.category_id == category.pk
            or (row.category_id is None and row.category_group_id == category.group_id)
        ]
        complete = any(row.zone_id is None and not row.season_start for row in covering)
        result.append(
            {
                "category": category,
                "rows": covering,
                "status": "split" if complete else ("partial" if covering else "fallback"),
                "elsewhere": None if complete else fallback,
            }
        )
    return result


# --- pooled means -----------------------------------------------------------------------------------


def year_bounds(year):
    tz = timezone.get_current_timezone()
    return (
        datetime.datetime(year, 1, 1, tzinfo=tz),
        datetime.datetime(year + 1, 1, 1, tzinfo=tz),
    )


def means_used(means, start, end):
    rows = SectorTimeSpent.objects.filter(means=means, recorded_at__gte=start, recorded_at__lt=end)
    if means.capacity_unit == CapacityUnit.INTERVENTIONS:
        return Decimal(rows.count()).quantize(Decimal("0.01"))
    return Decimal(rows.aggregate(total=Sum("hours"))["total"] or 0).quantize(Decimal("0.01"))


def consumption(means, year=None):
    """Used against the yearly capacity, with the warning level reached (None, 80 or 100)."""
    year = year or timezone.localdate().year
    used = means_used(means, *year_bounds(year))
    pct = (
        (used * 100 / means.yearly_capacity).quantize(Decimal("0.1")) if means.yearly_capacity else Decimal(0)
    )
    level = max((threshold for threshold in WARNING_PCT if pct >= threshold), default=None)
    return {
        "year": year,
        "used": used,
        "capacity": means.yearly_capacity,
        "unit": means.capacity_unit,
        "pct": pct,
        "warning": int(level) if level is not None else None,
    }


# --- evaluation figures -----------------------------------------------------------------------------


def requests_in(shape, start, end):
    """Requests filed in [start, end) at a point inside the shape (bounding-box pre-filter, then exact)."""
    minx, miny, maxx, maxy = shape.bounds
    candidates = InterventionRequest.objects.filter(
        created_at__gte=start, created_at__lt=end, lon__gte=minx, lon__lte=maxx, lat__gte=miny, lat__lte=maxy
    ).select_related("category", "handler_unit", "handler_organisation")
    prepared = shapely.prepared.prep(shape)
    return [r for r in candidates if prepared.contains(shapely.Point(r.lon, r.lat))]


def _delays(case_ids, kind):
    rows = Deadline.objects.filter(
        case_id__in=case_ids, kind=kind, state__in=[DeadlineState.MET, DeadlineState.BREACHED]
    )
    met = breached = 0
    hours = []
    for row in rows.values("state", "started_at", "stopped_at"):
        met += row["state"] == DeadlineState.MET
        breached += row["state"] == DeadlineState.BREACHED
        if row["stopped_at"]:
            hours.append((row["stopped_at"] - row["started_at"]).total_seconds() / 3600)
    total = met + breached
    return {
        "met": met,
        "missed": breached,
        "share_on_time_pct": round(100 * met / total, 1) if total else None,
        "mean_hours": round(sum(hours) / len(hours), 1) if hours else None,
    }


def period_figures(shape, start, end, means=()):
    requests = requests_in(shape, start, end)
    case_ids = [r.case_id for r in requests if r.case_id]
    ids = [r.pk for r in requests]
    done = [r for r in requests if r.resolved_at]
    reopened = (
        RequestMessage.objects.filter(request_id__in=ids, kind=MessageKind.REOPENED)
        .values("request_id")
        .distinct()
        .count()
    )
    urgent = [r for r in requests if r.urgency_requested == Urgency.URGENT]
    actor = Counter(
        (
            r.handler_unit.name
            if r.handler_unit_id
            else (r.handler_organisation.name if r.handler_organisation_id else _("not assigned"))
        )
        for r in requests
    )
    return {
        "from": start.date().isoformat() if hasattr(start, "date") else str(start),
        "to": end.date().isoformat() if hasattr(end, "date") else str(end),
        "requests": len(requests),
        "by_category": dict(sorted(Counter(r.category.name for r in requests).items())),
        "by_actor": dict(sorted(actor.items())),
        "acknowledge": _delays(case_ids, "acknowledge"),
        "resolve": _delays(case_ids, "resolve"),
        "done": len(done),
        "reopen_rate_pct": round(100 * reopened / len(done), 1) if done else None,
        "urgent": len(urgent),
        "unjustified_urgencies": sum(1 for r in urgent if r.urgency_justified is False),
        "pooled_means": [
            {
                "organisation": m.organisation.name,
                "unit": m.capacity_unit,
                "used": str(means_used(m, start, end)),
                "capacity": str(m.yearly_capacity),
            }
            for m in means
        ],
    }


def evaluation_figures(version, period_start, period_end):
    """The year's figures beside those of the same perimeter in the year before the experiment."""
    tz = timezone.get_current_timezone()

    def at(day):
        return datetime.datetime(day.year, day.month, day.day, tzinfo=tz)

    shape = version.shape()
    means = list(version.pooled_means.select_related("organisation"))
    starts = version.procedure.versions.order_by("number").first().starts_on
    before_start = datetime.date(starts.year - 1, starts.month, min(starts.day, 28))
    return {
        "year": period_figures(shape, at(period_start), at(period_end), means),
        "before": period_figures(shape, at(before_start), at(starts), ()),
    }
