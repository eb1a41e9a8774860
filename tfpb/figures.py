"""Figures of programmes and yearly reviews: totals, planned against realised per axis, the community-wide
table, and the dysfunctions reported on the landlord's land in the QPV over the year (from the requests and
the walking diagnostics)."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import DecimalField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce

from tfpb.models import ZERO, Action, Axis, Programme, Status

DECIMAL_ZERO = Decimal("0.00")


def _sum(field):
    decimal = DecimalField(max_digits=14, decimal_places=2)
    total = (
        Action.objects.filter(programme=OuterRef("pk"))
        .values("programme")
        .annotate(total=Sum(field))
        .values("total")
    )
    return Coalesce(Subquery(total[:1], output_field=decimal), DECIMAL_ZERO, output_field=decimal)


def with_totals(queryset):
    """Programmes with ``planned_sum`` and ``realised_sum`` annotated (one query for a whole list)."""
    return queryset.annotate(planned_sum=_sum("planned_amount_eur"), realised_sum=_sum("realised_amount_eur"))


def totals(programme):
    planned = getattr(programme, "planned_sum", None)
    realised = getattr(programme, "realised_sum", None)
    if planned is None:
        planned = programme.planned_total()
    if realised is None:
        realised = programme.realised_total()
    return {
        "planned": Decimal(planned).quantize(Decimal("0.01")),
        "realised": Decimal(realised).quantize(Decimal("0.01")),
    }


def by_axis(programmes):
    """[(axis, planned, realised)] over the programmes' actions, every active axis listed in order."""
    rows = (
        Action.objects.filter(programme__in=programmes)
        .values("axis")
        .annotate(planned=Sum("planned_amount_eur"), realised=Sum("realised_amount_eur"))
    )
    sums = {row["axis"]: (row["planned"] or ZERO, row["realised"] or ZERO) for row in rows}
    axes = [axis for axis in Axis.objects.order_by("position", "pk") if axis.is_active or axis.pk in sums]
    return [(axis, *sums.get(axis.pk, (ZERO, ZERO))) for axis in axes]


def programme_content_type():
    return ContentType.objects.get_for_model(Programme)


def tfpb_reviews(queryset):
    """Partner reviews about TFPB programmes (programme or yearly review), with their process."""
    return queryset.filter(subject_type=programme_content_type()).select_related("process", "organisation")


def stage_of(review):
    """ "programme" or "year_review": which flow the review belongs to."""
    from tfpb.flows import YearReviewFlow

    return "year_review" if review.process.flow_class is YearReviewFlow else "programme"


def overview(year, programmes):
    """The community-wide table of a year: one row per landlord and QPV."""
    rows = []
    for programme in with_totals(programmes.filter(year=year)).select_related("convention__landlord", "qpv"):
        sums = totals(programme)
        rows.append(
            {
                "programme": programme,
                "landlord": programme.convention.landlord.name,
                "qpv": programme.qpv.name,
                "expected": programme.expected_abatement_eur,
                "planned": sums["planned"],
                "realised": sums["realised"],
                "covered": sums["planned"] >= programme.expected_abatement_eur,
                "status": programme.get_status_display(),
                "review_status": programme.get_review_status_display(),
                "validated": programme.status == Status.VALIDATED,
            }
        )
    return rows


def dysfunctions(programme):
    """The dysfunctions reported during the programme's year in its QPV on land the landlord owns (the
    point in one of its parcels): the requests filed, counted per category, and the findings of the
    walking diagnostics (read through diagnostics.queries, their app's public entry), counted per theme
    and item; most frequent first. A finding filed as a request is counted among the findings and
    ``findings_as_requests`` says how many, so that no one adds them to the requests twice."""
    from shapely.geometry import Point
    from shapely.strtree import STRtree

    from directory.models import Parcel
    from procedures.models import InterventionRequest

    zone = ZoneInfo(settings.TIME_ZONE)
    start = datetime(programme.year, 1, 1, tzinfo=zone)
    end = datetime(programme.year + 1, 1, 1, tzinfo=zone)
    qpv = programme.qpv
    bbox = (qpv.min_lon, qpv.min_lat, qpv.max_lon, qpv.max_lat)
    candidates = InterventionRequest.objects.filter(
        created_at__gte=start,
        created_at__lt=end,
        lon__gte=qpv.min_lon,
        lon__lte=qpv.max_lon,
        lat__gte=qpv.min_lat,
        lat__lte=qpv.max_lat,
    ).values_list("lon", "lat", "category__name")
    parcels = [
        parcel.shape()
        for parcel in Parcel.objects.filter(
            owner=programme.convention.landlord,
            max_lon__gte=qpv.min_lon,
            min_lon__lte=qpv.max_lon,
            max_lat__gte=qpv.min_lat,
            min_lat__lte=qpv.max_lat,
        )
    ]
    requests, findings, as_requests = {}, {}, 0
    if parcels:
        qpv_shape, tree = qpv.shape(), STRtree(parcels)

        def on_land(lon, lat):
            point = Point(lon, lat)
            return qpv_shape.covers(point) and any(parcels[i].covers(point) for i in tree.query(point))

        for lon, lat, category in candidates:
            if on_land(lon, lat):
                requests[category] = requests.get(category, 0) + 1
        for found in _diagnostics_dysfunctions(start, end, bbox):
            if on_land(found.lon, found.lat):
                key = (found.theme, found.item)
                findings[key] = findings.get(key, 0) + 1
                as_requests += found.became_request
    return {
        "total": sum(requests.values()),
        "by_category": sorted(
            ({"category": name, "count": n} for name, n in requests.items()),
            key=lambda r: (-r["count"], r["category"]),
        ),
        "findings_total": sum(findings.values()),
        "findings_by_item": sorted(
            ({"theme": theme, "item": item, "count": n} for (theme, item), n in findings.items()),
            key=lambda r: (-r["count"], r["theme"], r["item"]),
        ),
        "findings_as_requests": as_requests,
    }


def _diagnostics_dysfunctions(start, end, bbox):
    """The walking diagnostics' dysfunctions, when that app is installed (tfpb reads it, never the
    reverse: diagnostics knows nothing of tfpb)."""
    from django.apps import apps

    if not apps.is_installed("diagnostics"):
        return []
    from diagnostics.queries import dysfunctions_reported

    return dysfunctions_reported(start=start, end=end, bbox=bbox)
