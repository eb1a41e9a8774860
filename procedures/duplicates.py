"""Duplicate candidates: requests of the same category group, near the point, recent and not closed.

Distances are in Lambert-93 metres. The database pre-filters on the indexed (category group, filed
at) pair and on a square around the point, then keeps the disc; nearest first.
"""

from datetime import timedelta

from django.db.models.expressions import RawSQL
from django.utils import timezone

from directory import geo
from procedures import conf
from procedures.models import InterventionRequest


def duplicate_candidates(category, lon, lat, *, at=None, distance_m=None, window_days=None, queryset=None):
    distance_m = conf.get("GUP_DUPLICATE_DISTANCE_M") if distance_m is None else distance_m
    window_days = conf.get("GUP_DUPLICATE_WINDOW_DAYS") if window_days is None else window_days
    at = at or timezone.now()
    x, y = geo.point_lambert93(lon, lat)
    queryset = InterventionRequest.objects.all() if queryset is None else queryset
    square = (x - distance_m, x + distance_m, y - distance_m, y + distance_m)
    # One raw expression: cheaper to build than nested F() arithmetic, the same SQL on SQLite and PostgreSQL.
    distance2 = RawSQL("(x_l93 - %s) * (x_l93 - %s) + (y_l93 - %s) * (y_l93 - %s)", (x, x, y, y))
    return (
        queryset.filter(
            category_group_id=category.group_id,
            created_at__gte=at - timedelta(days=window_days),
            created_at__lte=at,
            closed_at__isnull=True,
            x_l93__range=square[:2],
            y_l93__range=square[2:],
        )
        .annotate(distance2_m2=distance2)
        .filter(distance2_m2__lte=float(distance_m) ** 2)
        .order_by("distance2_m2", "-created_at")
    )
