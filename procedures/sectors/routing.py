"""Routing inside active sector procedures, consulted before the directory's usual rules.

``decide(lon, lat, category, at)`` answers None outside every active procedure; inside one, a
``SectorDecision``: the version in force at that date, the split row that decided (zone, category or group,
season; the most specific wins) and its unit, else the version's delegated manager (the > 60 % owner of its
land, not the community itself), else no unit (the usual rules decide) — and in every case the intervention
procedure version and the service-level overrides that requests filed there get.

Everything is held in memory (a shapely STRtree over the perimeters and the zones of the active versions),
rebuilt when the ``sectors`` counter of ``LayerVersion`` (bumped by the actions that change which versions
are active) or its ``rules`` counter (units, organisations) changed: one cheap query per call.
"""

import threading
from dataclasses import dataclass, field

import shapely
from django.utils import timezone
from django.utils.translation import gettext as _

from directory.models import OrganisationKind, in_season

STAMP_NAMES = ("sectors", "rules")


@dataclass(frozen=True)
class Row:
    id: int
    position: int
    category_id: int | None
    group_id: int | None
    zone_id: int | None
    zone_name: str
    season_start: str
    season_end: str
    unit_id: int
    unit_name: str
    what: str


@dataclass(frozen=True)
class Override:
    category_id: int | None
    urgency: str
    acknowledge_hours: int
    resolve_hours: int


@dataclass
class VersionEntry:
    id: int
    procedure_id: int
    title: str
    number: int
    effective_from: object
    ends_on: object
    intervention_version_id: int | None
    manager_name: str
    manager_unit_id: int | None
    manager_unit_name: str
    rows: list = field(default_factory=list)
    zones: list = field(default_factory=list)  # (zone id, shape)
    overrides: list = field(default_factory=list)


@dataclass
class SectorDecision:
    version_id: int
    procedure_title: str
    version_number: int
    intervention_version_id: int | None
    overrides: list
    unit_id: int | None
    unit_name: str
    row: Row | None
    detail: str  # for staff: procedure, version and row
    plain: str  # for the commune: no codes

    def targets(self, category_id, urgency):
        """(acknowledge, resolve) hours of the most specific override for this request, or None."""
        matching = [
            o
            for o in self.overrides
            if (o.category_id in (None, category_id)) and (o.urgency in ("", urgency))
        ]
        if not matching:
            return None
        best = max(matching, key=lambda o: (o.category_id is not None, bool(o.urgency)))
        return best.acknowledge_hours, best.resolve_hours


def _stamp():
    from directory.routing import current_counters  # read at most once per filing (and per delay)

    counters = current_counters()
    return tuple(counters.get(name, (0, "")) for name in STAMP_NAMES)


class SectorIndex:
    def __init__(self, entries, shapes, groups, stamp=None):
        self.stamp = stamp
        self.entries = list(entries)
        self.tree = shapely.STRtree(list(shapes))
        self.groups = dict(groups)  # category id -> group id
        self.by_id = {entry.id: entry for entry in self.entries}

    @classmethod
    def from_database(cls, stamp=None):
        from directory.models import Unit
        from procedures.models import Category
        from procedures.sectors.models import SectorVersion, SectorVersionStatus

        versions = list(
            SectorVersion.objects.filter(status=SectorVersionStatus.ACTIVE)
            .select_related("procedure", "delegated_manager")
            .prefetch_related("split_rows__unit", "split_rows__zone", "zones", "overrides")
            .order_by("pk")
        )
        units_of = {}
        for unit in Unit.objects.order_by("code"):
            units_of.setdefault(unit.organisation_id, []).append(unit)
        entries, shapes = [], []
        for version in versions:
            manager = version.delegated_manager
            manager_unit = None
            if manager is not None and manager.kind != OrganisationKind.CU:
                manager_unit = next(iter(units_of.get(manager.pk, ())), None)
            entry = VersionEntry(
                id=version.pk,
                procedure_id=version.procedure_id,
                title=version.procedure.title,
                number=version.number,
                effective_from=version.effective_from,
                ends_on=version.ends_on,
                intervention_version_id=version.intervention_version_id,
                manager_name=manager.name if manager else "",
                manager_unit_id=manager_unit.pk if manager_unit else None,
                manager_unit_name=manager_unit.name if manager_unit else "",
            )
            for position, row in enumerate(version.split_rows.all()):
                entry.rows.append(
                    Row(
                        row.pk,
                        position,
                        row.category_id,
                        row.category_group_id,
                        row.zone_id,
                        row.zone.name if row.zone_id else "",
                        row.season_start,
                        row.season_end,
                        row.unit_id,
                        row.unit.name,
                        row.what,
                    )
                )
            entry.zones = [(zone.pk, zone.shape()) for zone in version.zones.all()]
            entry.overrides = [
                Override(o.category_id, o.urgency, o.acknowledge_hours, o.resolve_hours)
                for o in version.overrides.all()
            ]
            entries.append(entry)
            shapes.append(version.shape())
        groups = dict(Category.objects.values_list("pk", "group_id"))
        return cls(entries, shapes, groups, stamp=stamp)

    def version_at(self, point, day):
        """The version in force at the point on that day (per procedure, the latest effective one)."""
        hits = self.tree.query(point, predicate="intersects")
        best = {}
        for i in sorted(int(i) for i in hits):
            entry = self.entries[i]
            if entry.effective_from > day or (entry.ends_on is not None and day > entry.ends_on):
                continue
            current = best.get(entry.procedure_id)
            if current is None or (entry.effective_from, entry.number) > (
                current.effective_from,
                current.number,
            ):
                best[entry.procedure_id] = entry
        if not best:
            return None
        return min(best.values(), key=lambda e: e.id)

    def decide(self, lon, lat, category_id, day):
        point = shapely.Point(lon, lat)
        entry = self.version_at(point, day)
        if entry is None:
            return None
        month_day = day.strftime("%m-%d")
        group_id = self.groups.get(category_id)
        zones_here = {zone_id for zone_id, shape in entry.zones if shape.intersects(point)}
        candidates = [
            row
            for row in entry.rows
            if (row.category_id == category_id or (row.category_id is None and row.group_id == group_id))
            and (row.zone_id is None or row.zone_id in zones_here)
            and in_season(row.season_start, row.season_end, month_day)
        ]
        values = {"procedure": entry.title, "number": entry.number}
        if candidates:
            row = min(
                candidates,
                key=lambda r: (r.zone_id is None, r.category_id is None, not r.season_start, r.position),
            )
            values.update(unit=row.unit_name, what=row.what, zone=row.zone_name)
            if row.zone_name:
                detail = _(
                    "Sub-sector procedure « %(procedure)s », version %(number)s: in the zone « %(zone)s », "
                    "its split gives this request to %(unit)s."
                )
            else:
                detail = _(
                    "Sub-sector procedure « %(procedure)s », version %(number)s: its split gives this "
                    "request to %(unit)s."
                )
            detail = detail % values
            if row.what:
                detail += " " + _("What it does: %(what)s.") % values
            plain = (
                _(
                    "This place is covered by the experiment « %(procedure)s »: requests like this one are "
                    "handled by %(unit)s."
                )
                % values
            )
            return self._decision(entry, row.unit_id, row.unit_name, row, detail, plain)
        if entry.manager_unit_id is not None:
            values.update(org=entry.manager_name, unit=entry.manager_unit_name)
            detail = (
                _(
                    "Sub-sector procedure « %(procedure)s », version %(number)s: no row of its split covers "
                    "this request; %(org)s, owner of most of its land, manages it: %(unit)s."
                )
                % values
            )
            plain = (
                _(
                    "This place is covered by the experiment « %(procedure)s » and managed by %(org)s, the "
                    "main owner of its land: %(unit)s handles the request."
                )
                % values
            )
            return self._decision(entry, entry.manager_unit_id, entry.manager_unit_name, None, detail, plain)
        detail = (
            _(
                "Sub-sector procedure « %(procedure)s », version %(number)s: no row of its split covers this "
                "request; the usual rules apply."
            )
            % values
        )
        return self._decision(entry, None, "", None, detail, "")

    @staticmethod
    def _decision(entry, unit_id, unit_name, row, detail, plain):
        return SectorDecision(
            version_id=entry.id,
            procedure_title=entry.title,
            version_number=entry.number,
            intervention_version_id=entry.intervention_version_id,
            overrides=entry.overrides,
            unit_id=unit_id,
            unit_name=unit_name,
            row=row,
            detail=detail,
            plain=plain,
        )


_lock = threading.Lock()
_current = {"index": None}


def get_index():
    stamp = _stamp()
    index = _current["index"]
    if index is not None and index.stamp == stamp:
        return index
    with _lock:
        index = _current["index"]
        if index is None or index.stamp != stamp:
            index = SectorIndex.from_database(stamp=stamp)
            _current["index"] = index
    return index


def decide(lon, lat, category_id, at=None):
    """The sector decision at a point for a category id at a time (default now), or None outside."""
    index = get_index()
    if not index.entries:
        return None
    day = timezone.localdate(at or timezone.now())
    return index.decide(float(lon), float(lat), category_id, day)


def overrides_for_version(version_id):
    """The service-level overrides of a version (from the index when it is active, else the database)."""
    entry = get_index().by_id.get(version_id)
    if entry is not None:
        return entry.overrides
    from procedures.sectors.models import ServiceLevelOverride

    return [
        Override(o.category_id, o.urgency, o.acknowledge_hours, o.resolve_hours)
        for o in ServiceLevelOverride.objects.filter(version_id=version_id)
    ]
