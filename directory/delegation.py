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


def parcels_overlapping(min_lon, min_lat, max_lon, max_lat):
    """Parcels whose bounding box meets the given one (the database pre-filter)."""
    return Parcel.objects.filter(
        min_lon__lte=max_lon, max_lon__gte=min_lon, min_lat__lte=max_lat, max_lat__gte=min_lat
    ).select_related("owner")


def _parcels_with_periods(area):
    parcels = list(parcels_overlapping(*area.bounds).prefetch_related("ownerships"))
    return [(parcel, list(parcel.ownerships.all())) for parcel in parcels]


def compute_shares(subsector, day=None, *, parcels=None):
    """Each owner's land inside the sub-sector on `day` (default today), largest first, and the total land
    area (m²). `parcels`: the (parcel, periods) pairs around it, if already loaded."""
    day = land.as_day(day)
    area = subsector.shape()
    parcels = _parcels_with_periods(area) if parcels is None else parcels
    owners = {}
    by_owner = {}
    for parcel, periods in parcels:
        if not land.exists_on(parcel, day):
            continue
        # Clip in WGS84 (edges shared with the sub-sector stay exact), then measure in Lambert-93.
        piece = parcel.shape().intersection(area)
        clipped = geo.area_m2(piece) if not piece.is_empty else 0.0
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


def _schedule(subsector, parcels, today, current_manager_id):
    """The delegation's changes after today, one entry per date where the manager or the shares change."""
    schedule, previous = [], (current_manager_id, None)
    for day in land.change_dates(parcels, today):
        shares, _total = compute_shares(subsector, day, parcels=parcels)
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


def recompute_delegation(subsector):
    """Compute and store one sub-sector's shares and delegated manager (today, and their scheduled changes
    from dated ownership); returns True if it changed."""
    if subsector.layer != Layer.SUBSECTORS:
        return False
    today = land.as_day()
    parcels = _parcels_with_periods(subsector.shape())
    shares, total = compute_shares(subsector, today, parcels=parcels)
    manager = manager_from(shares, subsector.delegation_threshold_pct)
    land_shares = [share.as_json() for share in shares]
    land_area = round(total, 2)
    manager_id = manager.owner_id if manager else None
    schedule = _schedule(subsector, parcels, today, manager_id)
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
        for subsector in queryset:
            changed += recompute_delegation(subsector)
    return changed


def recompute_for_parcel_bboxes(*bboxes):
    """After a parcel changed (old and new bounding boxes): recompute the sub-sectors it touches."""
    changed = 0
    for bbox in bboxes:
        if bbox is not None:
            changed += recompute_delegations(bbox=bbox)
    return changed
