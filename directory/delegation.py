"""Delegated management (the 60 % rule): who owns how much of each sub-sector's land.

For a sub-sector, every parcel is clipped to the sub-sector (in WGS84) and measured in Lambert-93 (EPSG:2154)
square metres; areas are summed per owner (parcels without an owner organisation count as "private
owners", who are never a delegated manager). An owner's share is its area over the land covered by
parcels inside the sub-sector (slivers under 1 m² are projection artefacts and ignored). The owner
holding strictly more than the sub-sector's threshold (default 60 %) is its delegated manager.

When it runs (explicitly, never from a signal): `import_geojson` after importing the parcels or the
sub-sectors layer, the admin after saving or deleting a sub-sector or a parcel (and its "recompute"
action), `load_demo`, and `manage.py recompute_delegations`. The result is stored on the sub-sector
(`land_shares`, `land_area_m2`, `delegated_manager`, `shares_updated_at`), and only written when it
changed, so recomputing an unchanged territory writes nothing.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from directory import geo, land
from directory.models import Layer, Organisation, Parcel, Perimeter

# Pieces smaller than this (slivers left by boundaries digitised slightly apart) are ignored.
MIN_PIECE_M2 = 1.0
SHARE_DECIMALS = 6  # shares compared in percent rounded to 1e-6, so 60 % computed as 60.0000000001 is 60 %


@dataclass(frozen=True)
class Share:
    owner_id: int | None
    owner_code: str | None
    owner_name: str | None
    area_m2: float
    share_pct: float

    def as_json(self):
        return {
            "owner": self.owner_code,
            "owner_name": self.owner_name,
            "area_m2": round(self.area_m2, 2),
            "share_pct": self.share_pct,
        }


def widest_parcel():
    """(width, height) in degrees of the widest and of the tallest parcel: with them, a bounding-box query
    bounds `min_lon` and `min_lat` on both sides, so the index on them reads a narrow range."""
    from django.db.models import F, Max

    found = Parcel.objects.aggregate(
        width=Max(F("max_lon") - F("min_lon")), height=Max(F("max_lat") - F("min_lat"))
    )
    return (found["width"] or 0.0, found["height"] or 0.0)


def parcels_overlapping(min_lon, min_lat, max_lon, max_lat, *, widest=None):
    """Parcels whose bounding box meets the given one (the database pre-filter); `widest`: the result of
    `widest_parcel()`, if known, to read a narrow range of the index."""
    queryset = Parcel.objects.filter(
        min_lon__lte=max_lon, max_lon__gte=min_lon, min_lat__lte=max_lat, max_lat__gte=min_lat
    )
    if widest is not None:
        queryset = queryset.filter(min_lon__gte=min_lon - widest[0], min_lat__gte=min_lat - widest[1])
    return queryset.select_related("owner")


class LandParcel:
    """What the shares need of a parcel (lighter than a model instance: sub-sectors are recomputed by the
    hundred after an import)."""

    __slots__ = ("geometry_text", "owner_id", "pk", "ref", "valid_from", "valid_until")

    def __init__(self, pk, ref, owner_id, valid_from, valid_until, geometry_text):
        self.pk, self.ref, self.owner_id = pk, ref, owner_id
        self.valid_from, self.valid_until, self.geometry_text = valid_from, valid_until, geometry_text


def _parcels_with_periods(area, widest=None):
    from django.db.models import TextField
    from django.db.models.functions import Cast

    from directory.models import ParcelOwnership

    rows = (
        parcels_overlapping(*area.bounds, widest=widest)
        .select_related(None)
        .annotate(geometry_text=Cast("geometry", TextField()))
        .values_list("pk", "ref", "owner_id", "valid_from", "valid_until", "geometry_text")
    )
    parcels = [LandParcel(*row) for row in rows]
    periods = {}
    if parcels:
        for period in ParcelOwnership.objects.filter(parcel_id__in=[p.pk for p in parcels]):
            periods.setdefault(period.parcel_id, []).append(period)
    return [(parcel, periods.get(parcel.pk, [])) for parcel in parcels]


def clipped_areas(area, parcels):
    """{parcel id: m² of the parcel inside `area`} of the (parcel, periods) pairs: clipped in WGS84 (edges
    shared with the sub-sector stay exact), then measured in Lambert-93, all in one call each."""
    import json

    import numpy as np
    import shapely

    if not parcels:
        return {}
    texts = [
        parcel.geometry_text if isinstance(parcel, LandParcel) else json.dumps(parcel.geometry)
        for parcel, _periods in parcels
    ]
    pieces = shapely.intersection(shapely.from_geojson(np.array(texts, dtype=object)), area)
    return {
        parcel.pk: float(value)
        for (parcel, _periods), value in zip(parcels, geo.areas_m2(pieces), strict=True)
    }


def compute_shares(subsector, day=None, *, parcels=None, clipped=None):
    """Each owner's land inside the sub-sector on `day` (default today), largest first, and the total land
    area (m²). `parcels`: the (parcel, periods) pairs around it, if already loaded; `clipped`: their
    `clipped_areas`, if already computed (they do not depend on the day)."""
    day = land.as_day(day)
    area = subsector.shape()
    parcels = _parcels_with_periods(area) if parcels is None else parcels
    clipped_by_parcel = clipped_areas(area, parcels) if clipped is None else clipped
    owners = {}
    by_owner = {}
    for parcel, periods in parcels:
        if not land.exists_on(parcel, day):
            continue
        clipped = clipped_by_parcel[parcel.pk]
        if clipped < MIN_PIECE_M2:
            continue
        key = land.owner_id_on(parcel, periods, day)
        entry = by_owner.setdefault(key, [key, 0.0])
        entry[1] += clipped
        owners[key] = None
    known = {org.pk: org for org in Organisation.objects.filter(pk__in=[k for k in owners if k])}
    total = sum(item[1] for item in by_owner.values())
    shares = [
        Share(
            owner_id=owner_id if owner_id in known else None,
            owner_code=known[owner_id].code if owner_id in known else None,
            owner_name=known[owner_id].name if owner_id in known else None,
            area_m2=owned,
            share_pct=round(100 * owned / total, SHARE_DECIMALS),
        )
        for owner_id, owned in by_owner.values()
    ]
    shares.sort(key=lambda share: (-share.area_m2, share.owner_code or ""))
    return shares, total


def manager_from(shares, threshold_pct):
    threshold = Decimal(str(threshold_pct))
    for share in shares:
        if share.owner_id is not None and Decimal(str(share.share_pct)) > threshold:
            return share
    return None


def _schedule(subsector, parcels, today, current_manager_id, clipped=None):
    """The delegation's changes after today, one entry per date where the manager or the shares change."""
    schedule, previous = [], (current_manager_id, None)
    for day in land.change_dates(parcels, today):
        shares, _total = compute_shares(subsector, day, parcels=parcels, clipped=clipped)
        manager = manager_from(shares, subsector.delegation_threshold_pct)
        entry = {
            "from": day.isoformat(),
            "manager": manager.owner_id if manager else None,
            "manager_code": manager.owner_code if manager else None,
            "shares": [share.as_json() for share in shares],
        }
        if (entry["manager"], entry["shares"]) != previous:
            schedule.append(entry)
            previous = (entry["manager"], entry["shares"])
    return schedule


def recompute_delegation(subsector, *, widest=None):
    """Compute and store one sub-sector's shares and delegated manager (today, and their scheduled changes
    from dated ownership); returns True if it changed. `widest`: see `parcels_overlapping`."""
    if subsector.layer != Layer.SUBSECTORS:
        return False
    today = land.as_day()
    area = subsector.shape()
    parcels = _parcels_with_periods(area, widest)
    clipped = clipped_areas(area, parcels)
    shares, total = compute_shares(subsector, today, parcels=parcels, clipped=clipped)
    manager = manager_from(shares, subsector.delegation_threshold_pct)
    land_shares = [share.as_json() for share in shares]
    land_area = round(total, 2)
    manager_id = manager.owner_id if manager else None
    schedule = _schedule(subsector, parcels, today, manager_id, clipped)
    if (
        subsector.land_shares == land_shares
        and subsector.land_area_m2 == land_area
        and subsector.delegated_manager_id == manager_id
        and subsector.delegation_schedule == schedule
        and subsector.shares_updated_at is not None
    ):
        return False
    subsector.land_shares = land_shares
    subsector.land_area_m2 = land_area
    subsector.delegated_manager_id = manager_id
    subsector.delegation_schedule = schedule
    subsector.shares_updated_at = timezone.now()
    subsector.save(
        update_fields=[
            "land_shares",
            "land_area_m2",
            "delegated_manager",
            "delegation_schedule",
            "shares_updated_at",
        ]
    )
    return True


def state_on(subsector, day):
    """(delegated manager id, land shares) of the sub-sector on `day`, from its stored schedule."""
    manager_id, shares = subsector.delegated_manager_id, subsector.land_shares
    for entry in subsector.delegation_schedule or ():
        if entry["from"] <= day.isoformat():
            manager_id, shares = entry["manager"], entry["shares"]
    return manager_id, shares


def manager_on(subsector, day):
    """The delegated manager's id on `day`: today's, or the last scheduled change before `day`."""
    manager_id = subsector.delegated_manager_id
    for entry in subsector.delegation_schedule or ():
        if entry["from"] <= day.isoformat():
            manager_id = entry["manager"]
    return manager_id


def recompute_delegations(subsectors=None, *, bbox=None):
    """Recompute the given sub-sectors (default: all, or those meeting bbox); returns how many changed."""
    queryset = subsectors if subsectors is not None else Perimeter.objects.filter(layer=Layer.SUBSECTORS)
    if bbox is not None:
        min_lon, min_lat, max_lon, max_lat = bbox
        queryset = queryset.filter(
            min_lon__lte=max_lon, max_lon__gte=min_lon, min_lat__lte=max_lat, max_lat__gte=min_lat
        )
    changed = 0
    with transaction.atomic():
        subsectors = list(queryset)
        # For many sub-sectors, one aggregate over the parcels makes each one's query read a narrow range.
        widest = widest_parcel() if len(subsectors) > 3 else None
        for subsector in subsectors:
            changed += recompute_delegation(subsector, widest=widest)
    return changed


def recompute_for_parcel_bboxes(*bboxes):
    """After a parcel changed (old and new bounding boxes): recompute the sub-sectors it touches."""
    changed = 0
    for bbox in bboxes:
        if bbox is not None:
            changed += recompute_delegations(bbox=bbox)
    return changed
