"""What other apps read of the walking diagnostics: this module is their one public entry (plain records,
never the models, so that diagnostics may change its tables without its readers noticing).

Today's reader: the TFPB yearly review (tfpb.figures), which shows the dysfunctions reported on a
landlord's land in a QPV over a year. Counts and places only: no comment, no photo, no person."""

import datetime
from dataclasses import dataclass

from django.utils import timezone

from diagnostics.models import Finding, GridVersion, Outcome


@dataclass(frozen=True)
class ReportedDysfunction:
    """A finding of a walking diagnostic rated below the best level of its grid's scale."""

    lon: float
    lat: float
    observed_on: datetime.date
    theme: str
    item: str
    rating: str  # the level's label in the grid's scale (e.g. "Dégradé")
    became_request: bool  # filed as, or linked to, an intervention request (counted with the requests)


def dysfunctions_reported(*, start, end, bbox):
    """The dysfunctions observed from ``start`` (included) to ``end`` (excluded), two aware datetimes,
    at a point inside ``bbox`` = (min_lon, min_lat, max_lon, max_lat), oldest first. A finding rated at
    the best level of its grid's scale ("good condition") is not a dysfunction and is left out."""
    min_lon, min_lat, max_lon, max_lat = bbox
    rows = list(
        Finding.objects.filter(
            observed_at__gte=start,
            observed_at__lt=end,
            lon__gte=min_lon,
            lon__lte=max_lon,
            lat__gte=min_lat,
            lat__lte=max_lat,
        )
        .order_by("observed_at", "pk")
        .values_list(
            "lon",
            "lat",
            "observed_at",
            "rating",
            "outcome",
            "item__label",
            "item__theme__label",
            "diagnostic__grid_version_id",
        )
    )
    scales = {
        version.pk: version.scale
        for version in GridVersion.objects.filter(pk__in={row[-1] for row in rows}).only("definition")
    }
    found = []
    for lon, lat, observed_at, rating, outcome, item, theme, version_id in rows:
        scale = scales.get(version_id) or []
        best = max((level["value"] for level in scale), default=None)
        if best is not None and rating >= best:
            continue
        found.append(
            ReportedDysfunction(
                lon=lon,
                lat=lat,
                observed_on=timezone.localdate(observed_at),
                theme=theme,
                item=item,
                rating=next((level["label"] for level in scale if level["value"] == rating), str(rating)),
                became_request=outcome in (Outcome.REQUEST, Outcome.LINKED),
            )
        )
    return found
