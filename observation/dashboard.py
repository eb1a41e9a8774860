"""What the Observation page and the annual review show: the figures, the tables beside each chart and
the charts themselves (SVG), built from observation.figures (database aggregates) in a fixed number of
queries whatever the number of requests, and kept in the cache while what they are read from does not
change (``cache_key``)."""

import hashlib
from datetime import timedelta

from django.core.cache import cache
from django.db.models import Count, Max
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from pyproj import Transformer

from observation import charts, conf, figures
from observation.models import SnapshotMonth
from observation.scope import observation_q

_TO_WGS84 = Transformer.from_crs("EPSG:2154", "EPSG:4326", always_xy=True)


def _month_label(day):
    return f"{day:%m/%Y}"


def monthly_rows(user, filters):
    """One row per month of the period: filed, done, resolve on time share, backlog at its end."""
    by_month = {row["key"]: row for row in figures.breakdown(user, filters, "month")}
    backlog = {row["month"]: row for row in figures.backlog(user, filters)}
    months, day = [], filters.since.replace(day=1)
    while day <= filters.until:
        row = by_month.get(day, {})
        resolve = row.get("resolve") or {}
        months.append(
            {
                "month": day,
                "label": _month_label(day),
                "filed": row.get("filed", 0),
                "done": row.get("done", 0),
                "suppressed": row.get("suppressed", True),
                "resolve_measured": resolve.get("measured", 0),
                "share": resolve.get("on_time_share"),
                "backlog": backlog[day]["open"] if day in backlog else None,
                "overdue": backlog[day]["overdue"] if day in backlog else None,
            }
        )
        day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return months


def handler_rows(user, filters):
    rows = figures.breakdown(user, filters, "handler_unit")
    return [
        {
            "name": row["name"] or _("No unit (organisation)"),
            "filed": row["filed"],
            "suppressed": row["resolve"]["suppressed"],
            "measured": row["resolve"]["measured"],
            "median_hours": row["resolve"]["median_hours"],
            "p90_hours": row["resolve"]["p90_hours"],
            "target_hours": row["resolve"]["target_hours"],
            "on_time_share": row["resolve"]["on_time_share"],
            "ack_median_hours": row["acknowledge"]["median_hours"],
        }
        for row in rows
    ]


def density_rows(grid):
    out = []
    for cell in grid["top"]:
        lon, lat = _TO_WGS84.transform(cell["x_m"], cell["y_m"])
        out.append({"lon": round(lon, 4), "lat": round(lat, 4), "count": cell["count"]})
    return out


def cache_key(user, filters):
    """The key the dashboard's figures are kept under when they are read from the aggregates only (no
    day of the period or of the year before computed live): what they are computed from is in the key
    (the observer's scope, the filters, when each month was aggregated and each snapshot taken, the
    language and the minimum cell), so a refresh of the aggregates is a new key. None otherwise."""
    stamps = []
    for period in (filters, filters.previous_year()):
        the_plan = figures.plan(period)
        if the_plan.live is not None:
            return None
        stamps.append(the_plan.stamp)
    snapshots = SnapshotMonth.objects.filter(
        month__gte=filters.previous_year().since.replace(day=1), month__lte=filters.until
    ).aggregate(n=Count("pk"), last=Max("taken_at"))
    text = repr(
        (
            str(observation_q(user)), filters, stamps, snapshots, get_language(),
            conf.get("GUP_OBSERVATION_MIN_CELL"),
        )
    )  # fmt: skip
    return "gup-dashboard:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def build(user, filters, *, with_charts=True):
    """The whole dashboard: figures, tables and (unless ``with_charts`` is False) the SVG charts. The
    figures and tables come from the cache when nothing they are computed from changed (cache_key)."""
    key = cache_key(user, filters)
    context = cache.get(key) if key else None
    if context is None:
        context = _compute(user, filters)
        if key:
            cache.set(key, context, conf.get("GUP_OBSERVATION_CHART_CACHE_SECONDS"))
    context = dict(context)
    if with_charts:
        context["charts"] = render_charts(context)
    return context


def _compute(user, filters):
    both = figures.year_over_year(user, filters)
    months = monthly_rows(user, filters)
    handlers = handler_rows(user, filters)
    grid = figures.density(user, filters)
    context = {
        "filters": filters,
        "current": both["current"],
        "previous": both["previous"],
        "months": months,
        "handlers": handlers,
        "communes": figures.breakdown(user, filters, "commune"),
        "categories": figures.breakdown(user, filters, "category"),
        "fines_by_commune": figures.fines_by(user, filters, "commune"),
        "density": grid,
        "density_rows": density_rows(grid),
    }
    return context


def render_charts(context):
    """SVG text of each chart, from the tables of ``context`` (the same numbers as the tables)."""
    months, grid = context["months"], context["density"]
    shown = [row for row in context["handlers"] if not row["suppressed"]]
    out = {
        "volume": charts.render(
            charts.draw_volume_and_backlog,
            months,
            {"filed": _("Filed"), "done": _("Done"), "backlog": _("Still to do at the month's end")},
        ),
        "on_time": charts.render(
            charts.draw_on_time_by_month,
            [{"label": m["label"], "share": None if m["suppressed"] else m["share"]} for m in months],
            {"unit": _("% resolved on time")},
        ),
    }
    if shown:
        out["delays"] = charts.render(
            charts.draw_delays_by_handler,
            shown,
            {"median": _("Median resolve delay"), "target": _("Target"), "unit": _("business hours")},
            height=max(2.0, 0.4 * len(shown) + 1),
        )
    if grid["cells"]:
        out["density"] = charts.render(
            charts.draw_density,
            grid,
            {"count": _("Requests"), "west_east": _("west → east"), "south_north": _("south → north")},
            width=4.5,
            height=4.0,
        )
    return out
