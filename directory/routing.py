"""Routing resolver: who handles a category at a point, and why (see docs/routing.md).

`resolve(lon, lat, category, at=None)` tries six rules in order and stops at the first that names a
unit:

1. the explicit split of the sub-sector the point is in, for the category;
2. the delegated manager of that sub-sector (not when it is the community itself);
3. the owner of the parcel under the point (not the community), through its competence for the category;
4. a direct-handling competence for the category covering the commune (e.g. waste to the waste direction);
5. a competence for the category covering the commune;
6. otherwise the CTC of the territory, and the request is flagged "to qualify".

Everything the rules need is held in memory by a `RoutingIndex` (shapely STRtrees over perimeters and
parcels, plus the competences, splits and units). It is rebuilt lazily when `LayerVersion`, bumped by
every write to the territory or the rules, has changed: one cheap query, made at most once a second
per process (`current_stamp`), so a change made in this process is seen at once and one made in any
other process within a second. A change to the rules only rebuilds the (cheap) rules part.
"""

import datetime
import logging
import threading
import time
from array import array
from dataclasses import dataclass, field

import numpy as np
import shapely
import shapely.geometry
from django.conf import settings
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from directory.models import (
    LOCAL_BUMPS,
    Competence,
    Layer,
    LayerVersion,
    Organisation,
    OrganisationKind,
    Parcel,
    ParcelOwnership,
    Perimeter,
    SplitRule,
    Unit,
    UnitKind,
    bumped_in_open_transaction,
    in_season,
)
from directory.parcel_index import (
    PackedStrings,
    ParcelGrid,
    ParcelGridBuilder,
    PeriodTable,
    load_arrays,
    save_arrays,
)

logger = logging.getLogger(__name__)
LAYER_ORDER = {layer: position for position, layer in enumerate(Layer.values)}


class RoutingError(ValueError):
    """A request the resolver cannot answer, with a message for the user."""


class OutsideTerritory(RoutingError):
    """The point is in none of the community's communes."""


class UnknownCategory(RoutingError):
    pass


@dataclass(frozen=True)
class OrgRef:
    id: int
    code: str
    name: str
    kind: str
    insee: str | None = None


@dataclass(frozen=True)
class UnitRef:
    id: int
    code: str
    name: str
    kind: str
    organisation: OrgRef


@dataclass(frozen=True)
class PerimeterRef:
    id: int
    layer: str
    code: str
    name: str
    commune_id: int | None = None
    unit_id: int | None = None
    delegated_manager_id: int | None = None
    # Scheduled changes of the delegated manager: ((day ordinal from, manager id or None), ...), by date.
    delegation_schedule: tuple = ()

    def manager_on(self, day_ordinal):
        manager_id = self.delegated_manager_id
        for start, later_id in self.delegation_schedule:
            if start > day_ordinal:
                break
            manager_id = later_id
        return manager_id


# Parcels without dates exist at every date: their validity is [ALWAYS_FROM, ALWAYS_UNTIL) in day ordinals.
ALWAYS_FROM, ALWAYS_UNTIL = 0, 2**31 - 1


@dataclass(frozen=True)
class ParcelRef:
    ref: str
    owner_id: int | None
    domain: str


@dataclass(frozen=True)
class CompetenceRec:
    id: int
    unit_id: int
    category_id: int
    communes: frozenset  # explicit communes; empty means the unit's territory
    season_start: str = ""
    season_end: str = ""
    direct: bool = False


@dataclass(frozen=True)
class RuleStep:
    rule: int
    code: str
    decided: bool
    detail: str


@dataclass
class Decision:
    handler: UnitRef | None
    commune: OrgRef
    perimeters: list
    qpv: bool
    to_qualify: bool
    decided_by: int | None
    explanation: list = field(default_factory=list)
    parcel: ParcelRef | None = None
    category_id: int | None = None


RULES = {
    1: "subsector_split",
    2: "delegated_manager",
    3: "parcel_owner",
    4: "direct_handling",
    5: "territorial_competence",
    6: "ctc_to_qualify",
}


class RoutingIndex:
    """Immutable snapshot of the routing data with spatial indexes; `decide` does no database query."""

    def __init__(
        self,
        *,
        perimeters,
        perimeter_shapes,
        parcels,
        parcel_shapes,
        organisations,
        units,
        unit_territory,
        competences,
        splits,
        categories=None,
        stamp=None,
    ):
        self.stamp = stamp
        self._set_spatial(perimeters, perimeter_shapes, parcels, parcel_shapes)
        self._set_rules(organisations, units, unit_territory, competences, splits, categories)

    SPATIAL_ATTRS = (
        "perimeters",
        "perimeter_shapes",
        "perimeter_tree",
        "parcel_refs",
        "parcel_owners",
        "parcel_public",
        "parcel_grid",
        "parcel_from",
        "parcel_until",
        "parcel_periods",
    )
    RULES_ATTRS = ("organisations", "units", "unit_territory", "competences", "splits", "categories", "ctcs")

    def _set_spatial(
        self,
        perimeters,
        perimeter_shapes,
        parcels,
        parcel_shapes=(),
        parcel_dates=None,
        parcel_periods=None,
        parcel_grid=None,
        parcel_columns=None,
    ):
        """`parcel_dates`: per parcel (from, until) day ordinals (None: all parcels always exist);
        `parcel_periods`: {parcel position: ((from, until, owner id or 0), ...)} for parcels with dated
        ownership (the others have their one owner at every date)."""
        self.perimeters = list(perimeters)
        # Perimeters are few and large and every call tests several: prepared, they pay.
        self.perimeter_shapes = np.asarray(list(perimeter_shapes), dtype=object)
        shapely.prepare(self.perimeter_shapes)
        self.perimeter_tree = shapely.STRtree(self.perimeter_shapes)
        # Parcels as flat columns (strings and numbers, not one object each): nothing for the cyclic
        # garbage collector to walk through, which keeps the tail latency low with 200,000 parcels.
        if parcel_columns is not None:
            self.parcel_refs, self.parcel_owners, self.parcel_public = parcel_columns
        else:
            parcels = list(parcels)
            self.parcel_refs = [parcel.ref for parcel in parcels]
            self.parcel_owners = np.array([parcel.owner_id or 0 for parcel in parcels], dtype=np.int64)
            self.parcel_public = np.array([parcel.domain == "public" for parcel in parcels], dtype=bool)
        if parcel_grid is None:
            builder = ParcelGridBuilder()
            builder.extend(parcel_shapes)
            parcel_grid = builder.build()
        self.parcel_grid = parcel_grid
        if parcel_dates is None:
            self.parcel_from = self.parcel_until = None
        else:
            dates = np.asarray(parcel_dates, dtype=np.int32).reshape(-1, 2)
            dated = bool(((dates[:, 0] != ALWAYS_FROM) | (dates[:, 1] != ALWAYS_UNTIL)).any())
            self.parcel_from = dates[:, 0].copy() if dated else None
            self.parcel_until = dates[:, 1].copy() if dated else None
        if not isinstance(parcel_periods, PeriodTable):
            parcel_periods = PeriodTable.from_dict(dict(parcel_periods or {}))
        self.parcel_periods = parcel_periods

    def _set_rules(self, organisations, units, unit_territory, competences, splits, categories=None):
        self.organisations = dict(organisations)
        self.units = dict(units)
        self.unit_territory = {unit_id: frozenset(ids) for unit_id, ids in unit_territory.items()}
        self.competences = {}
        for competence in competences:
            self.competences.setdefault(competence.category_id, []).append(competence)
        self.splits = dict(splits)  # (perimeter id, category id) -> unit id
        self.categories = dict(categories or {})  # code -> id
        self.ctcs = {}  # commune id -> CTC unit ids, by code
        for unit in sorted(self.units.values(), key=lambda u: u.code):
            if unit.kind == UnitKind.CTC:
                for commune_id in self.unit_territory.get(unit.id, ()):
                    self.ctcs.setdefault(commune_id, []).append(unit.id)

    # -- building ---------------------------------------------------------------------------------
    @classmethod
    def from_database(cls, previous=None):
        """Build from the database, reusing the spatial or the rules part of `previous` if unchanged."""
        stamp = LayerVersion.stamp()
        index = cls.__new__(cls)
        index.stamp = stamp
        reuse = previous is not None and isinstance(previous.stamp, tuple) and len(previous.stamp) == 2
        for position, (attrs, load, setter) in enumerate(
            [
                (cls.SPATIAL_ATTRS, lambda: cls._spatial_from_database(stamp[0]), index._set_spatial),
                (cls.RULES_ATTRS, cls._rules_from_database, index._set_rules),
            ]
        ):
            if reuse and previous.stamp[position] == stamp[position]:
                for attr in attrs:
                    setattr(index, attr, getattr(previous, attr))
            else:
                setter(**load())
        return index

    @classmethod
    def with_rules_from_database(cls, previous):
        """`previous`'s spatial part with the current rules: its stamp keeps the old territory version,
        so the next call still sees the territory as changed."""
        stamp = LayerVersion.stamp()
        index = cls.__new__(cls)
        for attr in cls.SPATIAL_ATTRS:
            setattr(index, attr, getattr(previous, attr))
        index._set_rules(**cls._rules_from_database())
        index.stamp = (previous.stamp[0], stamp[1])
        return index

    @classmethod
    def _spatial_from_database(cls, territory=None):
        """The spatial part: perimeters from the database, parcels from the index file of this territory
        version if there is one (ROUTING_INDEX_DIR), else from the database (and the file written)."""
        perimeters, perimeter_shapes = [], []
        for perimeter in Perimeter.objects.order_by("layer", "code"):
            schedule = tuple(
                (datetime.date.fromisoformat(entry["from"]).toordinal(), entry["manager"])
                for entry in perimeter.delegation_schedule or ()
            )
            perimeters.append(
                PerimeterRef(
                    perimeter.id,
                    perimeter.layer,
                    perimeter.code,
                    perimeter.name,
                    perimeter.commune_id,
                    perimeter.unit_id,
                    perimeter.delegated_manager_id,
                    schedule,
                )
            )
            perimeter_shapes.append(shapely.geometry.shape(perimeter.geometry))
        return {
            "perimeters": perimeters,
            "perimeter_shapes": perimeter_shapes,
            "parcels": None,
            **_parcels_part(territory),
        }

    @staticmethod
    def _parcels_from_database():
        # Parcels by chunks, straight into flat columns: the geometry's GeoJSON text is parsed by GEOS, and
        # no Python object per parcel outlives its chunk (the memory of a worker with 200,000 parcels).
        refs, owners, public, dates, pks = PackedStrings(), array("q"), bytearray(), array("i"), array("q")
        grid, texts = ParcelGridBuilder(), []
        rows = (
            Parcel.objects.order_by("ref")
            .annotate(geometry_text=Cast("geometry", TextField()))
            .values_list("id", "ref", "owner_id", "domain", "geometry_text", "valid_from", "valid_until")
        )
        for pk, ref, owner_id, domain, geometry, valid_from, valid_until in rows.iterator(chunk_size=5000):
            pks.append(pk)
            refs.append(ref)
            owners.append(owner_id or 0)
            public.append(domain == "public")
            dates.append(valid_from.toordinal() if valid_from else ALWAYS_FROM)
            dates.append(valid_until.toordinal() if valid_until else ALWAYS_UNTIL)
            texts.append(geometry)
            if len(texts) == 5000:
                grid.extend_geojson(texts)
                texts = []
        grid.extend_geojson(texts)
        pk_array = np.frombuffer(pks, dtype=np.int64) if pks else np.zeros(0, np.int64)
        by_pk = np.argsort(pk_array)
        sorted_pks = pk_array[by_pk]
        # Periods by chunks into flat arrays too (a tuple each, by the hundred thousand, is the peak).
        row_parcels, row_from, row_until, row_owner = array("q"), array("i"), array("i"), array("q")
        periods = ParcelOwnership.objects.order_by("parcel_id", "valid_from").values_list(
            "parcel_id", "owner_id", "valid_from", "valid_until"
        )
        for parcel_id, owner_id, valid_from, valid_until in periods.iterator(chunk_size=5000):
            row_parcels.append(parcel_id)
            row_from.append(valid_from.toordinal() if valid_from else ALWAYS_FROM)
            row_until.append(valid_until.toordinal() if valid_until else ALWAYS_UNTIL)
            row_owner.append(owner_id or 0)
        parcel_periods = _period_table(
            by_pk[np.searchsorted(sorted_pks, np.frombuffer(row_parcels, dtype=np.int64))]
            if row_parcels
            else np.zeros(0, np.int64),
            np.frombuffer(row_from, dtype=np.int32) if row_from else np.zeros(0, np.int32),
            np.frombuffer(row_until, dtype=np.int32) if row_until else np.zeros(0, np.int32),
            np.frombuffer(row_owner, dtype=np.int64) if row_owner else np.zeros(0, np.int64),
        )
        columns = (
            refs.freeze(),
            np.frombuffer(owners, dtype=np.int64).copy() if owners else np.zeros(0, np.int64),
            np.frombuffer(bytes(public), dtype=np.bool_).copy() if public else np.zeros(0, bool),
        )
        return {
            "parcel_columns": columns,
            "parcel_grid": grid.build(),
            "parcel_dates": np.frombuffer(dates, dtype=np.int32).reshape(-1, 2)
            if dates
            else np.zeros((0, 2), np.int32),
            "parcel_periods": parcel_periods,
        }

    @staticmethod
    def _rules_from_database():
        from procedures.models import Category

        organisations = {
            org.id: OrgRef(org.id, org.code, org.name, org.kind, org.insee)
            for org in Organisation.objects.all()
        }
        units = {
            unit.id: UnitRef(unit.id, unit.code, unit.name, unit.kind, organisations[unit.organisation_id])
            for unit in Unit.objects.all()
        }
        territory = {}
        for unit_id, commune_id in Unit.territory.through.objects.values_list("unit_id", "organisation_id"):
            territory.setdefault(unit_id, set()).add(commune_id)
        communes_of = {}
        for competence_id, commune_id in Competence.communes.through.objects.values_list(
            "competence_id", "organisation_id"
        ):
            communes_of.setdefault(competence_id, set()).add(commune_id)
        competences = [
            CompetenceRec(
                c.id,
                c.unit_id,
                c.category_id,
                frozenset(communes_of.get(c.id, ())),
                c.season_start,
                c.season_end,
                c.direct_handling,
            )
            for c in Competence.objects.order_by("pk")
        ]
        splits = {
            (perimeter_id, category_id): unit_id
            for perimeter_id, category_id, unit_id in SplitRule.objects.values_list(
                "perimeter_id", "category_id", "unit_id"
            )
        }
        return {
            "organisations": organisations,
            "units": units,
            "unit_territory": territory,
            "competences": competences,
            "splits": splits,
            "categories": dict(Category.objects.values_list("code", "id")),
        }

    # -- queries ----------------------------------------------------------------------------------
    def perimeters_at(self, point):
        boxes = self.perimeter_tree.query(point)
        hits = (
            boxes[shapely.intersects_xy(self.perimeter_shapes[boxes], point.x, point.y)]
            if len(boxes)
            else boxes
        )
        found = [self.perimeters[i] for i in np.sort(hits)]
        found.sort(key=lambda p: (LAYER_ORDER.get(p.layer, 99), p.code))
        return found

    def parcel_at(self, point, day_ordinal=None):
        """The parcel under the point on that day (default: any day, today's owner), lowest ref first."""
        hits = self.parcel_grid.candidates(point.x, point.y)
        if day_ordinal is not None and self.parcel_from is not None and len(hits):
            hits = hits[(self.parcel_from[hits] <= day_ordinal) & (day_ordinal < self.parcel_until[hits])]
        i = self.parcel_grid.first_containing(point.x, point.y, hits)  # in ref order: the lowest ref wins
        if i is None:
            return None
        owner = int(self.parcel_owners[i])
        if day_ordinal is not None and i in self.parcel_periods:
            owner = next(
                (owner_id for start, end, owner_id in self.parcel_periods[i] if start <= day_ordinal < end), 0
            )
        return ParcelRef(self.parcel_refs[i], owner or None, "public" if self.parcel_public[i] else "private")

    def covers(self, competence, commune_id):
        communes = competence.communes or self.unit_territory.get(competence.unit_id, frozenset())
        return commune_id in communes

    def _anywhere(self, competence):
        """A land owner's competence without communes and without unit territory: wherever it owns land."""
        return not competence.communes and not self.unit_territory.get(competence.unit_id)

    def competences_of(self, category_id, month_day):
        return [
            c
            for c in self.competences.get(category_id, ())
            if in_season(c.season_start, c.season_end, month_day)
        ]

    @staticmethod
    def _specific_first(competence, units):
        return (not competence.season_start, not competence.communes, units[competence.unit_id].code)

    def _unit_label(self, unit_id):
        unit = self.units[unit_id]
        return f"{unit.name} ({unit.code})"

    # -- the rules --------------------------------------------------------------------------------
    def decide(self, lon, lat, category_id, month_day, category_label="", day_ordinal=None):
        """The Decision; `day_ordinal` (a date's toordinal()) is the day ownership is read at (None: today's
        owners and managers, as stored)."""
        point = shapely.Point(lon, lat)
        hit = self.perimeters_at(point)
        communes = [p for p in hit if p.layer == Layer.COMMUNES and p.commune_id in self.organisations]
        if not communes:
            raise OutsideTerritory(
                _("The point (longitude %(lon)s, latitude %(lat)s) is outside the community's territory.")
                % {"lon": lon, "lat": lat}
            )
        commune = self.organisations[communes[0].commune_id]
        subsectors = [p for p in hit if p.layer == Layer.SUBSECTORS]
        steps = []
        decision = Decision(
            handler=None,
            commune=commune,
            perimeters=hit,
            qpv=any(p.layer == Layer.QPV for p in hit),
            to_qualify=False,
            decided_by=None,
            explanation=steps,
            category_id=category_id,
            parcel=self.parcel_at(point, day_ordinal),
        )
        what = category_label or str(category_id)

        def done(rule, unit_id, detail, to_qualify=False):
            steps.append(RuleStep(rule, RULES[rule], True, detail))
            decision.handler = self.units[unit_id] if unit_id is not None else None
            decision.decided_by, decision.to_qualify = rule, to_qualify
            return decision

        def skip(rule, detail):
            steps.append(RuleStep(rule, RULES[rule], False, detail))

        # 1. explicit split of the sub-sector
        split = next(
            ((s, self.splits[s.id, category_id]) for s in subsectors if (s.id, category_id) in self.splits),
            None,
        )
        if split:
            return done(
                1,
                split[1],
                _("Sub-sector %(sub)s assigns %(what)s to %(unit)s.")
                % {"sub": split[0].code, "what": what, "unit": self._unit_label(split[1])},
            )
        skip(
            1,
            _("Sub-sector %(sub)s has no split for %(what)s.")
            % {"sub": ", ".join(s.code for s in subsectors), "what": what}
            if subsectors
            else _("The point is in no sub-sector."),
        )

        active = self.competences_of(category_id, month_day)

        # 2. delegated manager of the sub-sector
        managers = [
            (s, s.delegated_manager_id if day_ordinal is None else s.manager_on(day_ordinal))
            for s in subsectors
        ]
        managed = [(s, m) for s, m in managers if m in self.organisations]
        if not managed:
            skip(2, _("No sub-sector here has a delegated manager."))
        else:
            subsector, manager_id = managed[0]
            manager = self.organisations[manager_id]
            unit_id = self._organisation_unit(manager, active)
            if manager.kind == OrganisationKind.CU:
                skip(
                    2,
                    _("Sub-sector %(sub)s is managed by the community itself: its own rules apply.")
                    % {"sub": subsector.code},
                )
            elif unit_id is None:
                skip(2, _("The delegated manager %(org)s has no unit to handle it.") % {"org": manager.name})
            else:
                return done(
                    2,
                    unit_id,
                    _("%(org)s owns more than its threshold of sub-sector %(sub)s and manages it: %(unit)s.")
                    % {"org": manager.name, "sub": subsector.code, "unit": self._unit_label(unit_id)},
                )

        # 3. owner of the parcel under the point
        parcel = decision.parcel
        if parcel is None:
            skip(3, _("No parcel is known under the point."))
        elif parcel.owner_id is None or parcel.owner_id not in self.organisations:
            skip(3, _("Parcel %(ref)s belongs to a private owner.") % {"ref": parcel.ref})
        else:
            owner = self.organisations[parcel.owner_id]
            owned = [c for c in active if self.units[c.unit_id].organisation.id == owner.id]
            owned = [c for c in owned if self._anywhere(c) or self.covers(c, commune.id)]
            if owner.kind == OrganisationKind.CU:
                skip(
                    3,
                    _("Parcel %(ref)s belongs to the community: its own rules apply.") % {"ref": parcel.ref},
                )
            elif not owned:
                skip(
                    3,
                    _("Parcel %(ref)s belongs to %(org)s, which has no competence for %(what)s.")
                    % {"ref": parcel.ref, "org": owner.name, "what": what},
                )
            else:
                best = min(owned, key=lambda c: self._specific_first(c, self.units))
                return done(
                    3,
                    best.unit_id,
                    _("Parcel %(ref)s belongs to %(org)s, whose competence for %(what)s is %(unit)s.")
                    % {
                        "ref": parcel.ref,
                        "org": owner.name,
                        "what": what,
                        "unit": self._unit_label(best.unit_id),
                    },
                )

        # 4. direct handling
        direct = [c for c in active if c.direct and self.covers(c, commune.id)]
        if direct:
            best = min(direct, key=lambda c: self._specific_first(c, self.units))
            return done(
                4,
                best.unit_id,
                _("%(what)s goes directly to %(unit)s in %(commune)s.")
                % {"what": what, "unit": self._unit_label(best.unit_id), "commune": commune.name},
            )
        skip(4, _("No direct handling of %(what)s in %(commune)s.") % {"what": what, "commune": commune.name})

        # 5. competence in the commune's territory
        local = [c for c in active if not c.direct and self.covers(c, commune.id)]
        if local:
            best = min(local, key=lambda c: self._specific_first(c, self.units))
            return done(
                5,
                best.unit_id,
                _("%(unit)s is competent for %(what)s in %(commune)s.")
                % {"unit": self._unit_label(best.unit_id), "what": what, "commune": commune.name},
            )
        skip(
            5,
            _("No unit is competent for %(what)s in %(commune)s.") % {"what": what, "commune": commune.name},
        )

        # 6. the CTC of the territory, to qualify
        sector_ctc = next(
            (
                p.unit_id
                for p in hit
                if p.layer == Layer.SECTORS
                and p.unit_id in self.units
                and self.units[p.unit_id].kind == UnitKind.CTC
            ),
            None,
        )
        ctc_id = sector_ctc or next(iter(self.ctcs.get(commune.id, ())), None)
        if ctc_id is None:
            return done(
                6,
                None,
                _("No CTC covers %(commune)s: the request must be qualified by hand.")
                % {"commune": commune.name},
                True,
            )
        return done(
            6,
            ctc_id,
            _("No rule decided: %(unit)s, the CTC of %(commune)s, qualifies the request.")
            % {"unit": self._unit_label(ctc_id), "commune": commune.name},
            True,
        )

    def _organisation_unit(self, organisation, active):
        """The unit of an organisation that handles the category (its competence), else its main unit."""
        own = [c for c in active if self.units[c.unit_id].organisation.id == organisation.id]
        if own:
            return min(own, key=lambda c: self._specific_first(c, self.units)).unit_id
        units = sorted(
            (u for u in self.units.values() if u.organisation.id == organisation.id), key=lambda u: u.code
        )
        return units[0].id if units else None


def _period_table(positions, valid_from, valid_until, owners):
    """The PeriodTable of period rows (parcel position, from, until, owner), in (parcel, from) order per
    parcel; a parcel with one period that always holds gets none (its owner column says it all)."""
    order = np.argsort(positions, kind="stable")
    positions, valid_from = positions[order], valid_from[order]
    valid_until, owners = valid_until[order], owners[order]
    unique, first, counts = np.unique(positions, return_index=True, return_counts=True)
    always = (counts == 1) & (valid_from[first] == ALWAYS_FROM) & (valid_until[first] == ALWAYS_UNTIL)
    keep = np.repeat(~always, counts)
    positions, valid_from, valid_until, owners = (
        positions[keep],
        valid_from[keep],
        valid_until[keep],
        owners[keep],
    )
    kept_counts = counts[~always]
    return PeriodTable(
        unique[~always].astype(np.int64),
        np.concatenate([[0], np.cumsum(kept_counts)]).astype(np.int64),
        valid_from.astype(np.int32),
        valid_until.astype(np.int32),
        owners.astype(np.int64),
    )


# --- the parcels' part in a file per territory version (directory/parcel_index.py) ----------------


def index_file(territory):
    """The parcels' file for a territory stamp (version, token); None without ROUTING_INDEX_DIR."""
    from pathlib import Path

    directory = getattr(settings, "ROUTING_INDEX_DIR", "")
    if not directory or territory is None:
        return None
    version, token = territory
    return Path(directory) / f"parcels-{int(version)}-{token or 'none'}.bin"


def _parcels_part(territory):
    path = index_file(territory)
    if path is not None and path.exists():
        try:
            return _read_part(path, territory)
        except (OSError, ValueError, KeyError):
            logger.warning("routing index file %s unreadable: building from the database", path.name)
    part = RoutingIndex._parcels_from_database()
    if path is not None:
        _write_part(path, part, territory)
    return part


def _write_part(path, part, territory):
    refs, owners, public = part["parcel_columns"]
    periods = part["parcel_periods"]
    arrays, grid_meta = part["parcel_grid"].to_arrays()
    arrays.update(
        refs_buffer=np.frombuffer(refs.buffer, dtype=np.uint8),
        refs_offsets=refs.offsets,
        owners=owners,
        public=public,
        dates=np.asarray(part["parcel_dates"], dtype=np.int32).reshape(-1, 2),
        periods_positions=periods.positions,
        periods_starts=periods.starts,
        periods_from=periods.valid_from,
        periods_until=periods.valid_until,
        periods_owners=periods.owners,
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        save_arrays(path, arrays, {"grid": grid_meta, "territory": list(territory)})
        # Keep the newest few (a worker may still be mapping the previous one: its pages stay valid).
        for old in sorted(path.parent.glob("parcels-*.bin"), key=lambda p: p.stat().st_mtime)[:-3]:
            old.unlink(missing_ok=True)
    except OSError:
        logger.warning("routing index file %s not written", path.name, exc_info=True)


def _read_part(path, territory):
    meta, arrays = load_arrays(path)
    if tuple(meta["territory"]) != tuple(territory):
        raise ValueError("another territory version")
    return {
        "parcel_columns": (
            PackedStrings.from_arrays(arrays["refs_buffer"], arrays["refs_offsets"]),
            arrays["owners"],
            arrays["public"],
        ),
        "parcel_grid": ParcelGrid.from_arrays(arrays, meta["grid"]),
        "parcel_dates": arrays["dates"],
        "parcel_periods": PeriodTable(
            arrays["periods_positions"],
            arrays["periods_starts"],
            arrays["periods_from"],
            arrays["periods_until"],
            arrays["periods_owners"],
        ),
    }


def write_index_file():
    """Worker job (and `manage.py build_routing_index`): write the parcels' file of the current territory
    version if it is missing, so that web workers map it instead of building it. Returns its path or None."""
    territory = LayerVersion.stamp()[0]
    path = index_file(territory)
    if path is None or path.exists():
        return None
    _write_part(path, RoutingIndex._parcels_from_database(), territory)
    return path


_lock = threading.Lock()
_current = {"index": None}


_building = {"thread": None}


def _start_thread(target):
    thread = threading.Thread(target=target, name="routing-index-rebuild", daemon=True)
    thread.start()
    return thread


def _wait_for_index_file():
    """With ROUTING_INDEX_DIR, give the worker job (every few seconds) ROUTING_INDEX_FILE_WAIT_MS to write
    the parcels' file of the new territory version: mapping it costs the web worker next to no memory,
    building it costs as much again as the index. Past that delay the thread builds it itself."""
    path = index_file(LayerVersion.stamp()[0])
    if path is None:
        return
    deadline = _clock() + getattr(settings, "ROUTING_INDEX_FILE_WAIT_MS", 60000) / 1000
    while not path.exists() and _clock() < deadline:
        _sleep(0.2)


_sleep = time.sleep


def _rebuild_in_background(previous):
    """Build the index for the current data in a thread and install it; the old one serves meanwhile."""

    def run():
        from django.db import connection

        try:
            _wait_for_index_file()
            index = RoutingIndex.from_database(previous=previous)
            with _lock:
                current = _current["index"]
                if current is None or current.stamp != index.stamp:
                    _current["index"] = index
        except Exception:
            logger.exception("the routing index could not be rebuilt")
        finally:
            if threading.current_thread() is not threading.main_thread():
                connection.close()
            with _lock:
                _building["thread"] = None

    with _lock:
        if _building["thread"] is not None:
            return
        _building["thread"] = True  # taken until run() ends: a second caller does not start another
    _start_thread(run)


_stamp_cache = {"counters": None, "at": 0.0, "bumps": -1}
_clock = time.monotonic


def current_counters():
    """`LayerVersion.counters()`, read from the database at most once every ROUTING_INDEX_CHECK_MS
    (default 1000; 0: every call) as long as this process has bumped nothing since: a change made by this
    process is seen at once, one made by another process within that delay. A thread that bumped in a
    transaction it is still in reads the database every time and caches nothing (the transaction may
    still roll back). The routing index, the sub-sector index and the filing's catalogue cache all key
    on these counters, so a filing reads them at most once."""
    ttl = getattr(settings, "ROUTING_INDEX_CHECK_MS", 1000) / 1000
    tainted = bumped_in_open_transaction()
    cached, now = _stamp_cache, _clock()
    if (
        not tainted
        and ttl > 0
        and cached["counters"] is not None
        and cached["bumps"] == LOCAL_BUMPS["count"]
        and now - cached["at"] < ttl
    ):
        return cached["counters"]
    bumps = LOCAL_BUMPS["count"]
    counters = LayerVersion.counters()
    if not tainted:
        _stamp_cache.update(counters=counters, at=now, bumps=bumps)
    return counters


def current_stamp():
    """The routing index's part of `current_counters()` (`LayerVersion.stamp()`)."""
    return LayerVersion.stamp(current_counters())


def forget_stamp():
    """Drop the cached stamp (tests: the database was emptied or rolled back behind the cache)."""
    _stamp_cache.update(counters=None, at=0.0, bumps=-1)


def get_index():
    """The routing index for the current data (`current_stamp()` compared with the index's).

    Only the part that changed is rebuilt: the rules part (cheap) at once; the spatial part (perimeters,
    parcels) in a background thread while the previous index keeps serving (setting
    ROUTING_INDEX_REBUILD = "background", the default), or at once ("inline"). The first index of a process
    is built at once, by `warm_up()` at start when the WSGI application loads.
    """
    stamp = current_stamp()
    index = _current["index"]
    if index is not None and index.stamp == stamp:
        return index
    background = getattr(settings, "ROUTING_INDEX_REBUILD", "background") == "background"
    dated = index is not None and isinstance(index.stamp, tuple) and len(index.stamp) == 2
    if dated and background and index.stamp[0] != stamp[0]:
        _rebuild_in_background(index)
        if index.stamp[1] == stamp[1]:
            return index
        # The rules changed too: serve the old territory with the current rules until the thread is done.
        with _lock:
            index = RoutingIndex.with_rules_from_database(index)
            if _current["index"] is not None and _current["index"].stamp[0] == index.stamp[0]:
                _current["index"] = index
        return index
    with _lock:
        index = _current["index"]
        if index is None or index.stamp != LayerVersion.stamp():
            index = RoutingIndex.from_database(previous=index)
            _current["index"] = index
    return index


def warm_up():
    """Build the routing index now (at the start of a web worker, before it takes traffic); returns the
    seconds it took, or None when the database is not ready (not migrated yet)."""
    import time

    from django.db import DatabaseError

    started = time.perf_counter()
    try:
        get_index()
    except DatabaseError:
        logger.warning("routing index not built at start: the database is not ready")
        return None
    return time.perf_counter() - started


def _category(category, index):
    from procedures.models import Category

    if isinstance(category, Category):
        return category.pk, category.code
    code = str(category or "").strip()
    if not code:
        raise UnknownCategory(_("A category is required."))
    if code in index.categories:
        return index.categories[code], code
    found = Category.objects.filter(code=code).values_list("pk", flat=True).first()
    if found is None:
        raise UnknownCategory(_("Unknown category %(code)s.") % {"code": code})
    return found, code


def resolve(lon, lat, category, at=None):
    """The Decision for a category (a Category or its code) at a WGS84 point, at a time (default now).

    `at` (an aware datetime or a date) is also the day as of which ownership and delegated managers are
    read: a request keeps the decision of its filing date, a change entered for next month routes from
    that date on only."""
    try:
        lon, lat = float(lon), float(lat)
    except (TypeError, ValueError):
        raise RoutingError(_("Longitude and latitude must be numbers.")) from None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise RoutingError(_("Longitude must be between -180 and 180 and latitude between -90 and 90."))
    index = get_index()
    category_id, code = _category(category, index)
    moment = at or timezone.now()
    if isinstance(moment, datetime.datetime):
        day = timezone.localdate(moment) if timezone.is_aware(moment) else moment.date()
    else:
        day = moment
    return index.decide(
        lon, lat, category_id, day.strftime("%m-%d"), category_label=code, day_ordinal=day.toordinal()
    )


def plain_explanation(decision, category_name=""):
    """Why this handler, for a commune's referent: names, no codes and no rule wording.

    The staff's explanation (``RuleStep.detail``) says which rule decided and with which codes; this one
    says who handles the request and why in everyday words, in the current language."""
    unit = decision.handler
    values = {
        "what": category_name or _("this kind of request"),
        "commune": decision.commune.name,
        "unit": unit.name if unit else "",
        "org": unit.organisation.name if unit else "",
    }
    rule = decision.decided_by
    if unit is None:
        text = _(
            "No service is set for « %(what)s » at this place: the community's staff will choose who "
            "handles it."
        )
    elif rule == 1:
        text = _("In this part of %(commune)s, requests « %(what)s » are handled by %(unit)s.")
    elif rule == 2:
        text = _(
            "This part of %(commune)s is managed by %(org)s, the main owner of its land: %(unit)s handles it."
        )
    elif rule == 3:
        text = _(
            "The place belongs to %(org)s, which looks after « %(what)s » on its land: %(unit)s handles it."
        )
    elif rule == 4:
        text = _("In %(commune)s, requests « %(what)s » go straight to %(unit)s.")
    elif rule == 5:
        text = _("In %(commune)s, %(unit)s handles requests « %(what)s ».")
    else:
        text = _(
            "No service is set for « %(what)s » at this place: %(unit)s, the technical centre for "
            "%(commune)s, will check the request and pass it to the right service."
        )
    return text % values
