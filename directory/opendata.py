"""Imports of the State's open land data, as published (see /docs and the README, "Open land data").

- Parcels: the Etalab cadastre per-commune GeoJSON (`cadastre-<INSEE>-parcelles.json`, gzipped or not),
  streamed feature by feature (a department's file is hundreds of MB: it is never loaded whole).
- Owners: the DGFiP CSV of parcels owned by legal entities (`;`, UTF-8, headers mapped by their stem),
  joined on the parcel id; SIRENs mapped to organisations by `SirenMapping`; a parcel absent from the file
  has no organisation as owner (private or unknown).
- The 2024 QPV geography (ANCT GeoJSON) and the communes' outlines (geographic API GeoJSON), translated
  to the layers' own format and imported by directory.layers.

Each run is all or nothing: any bad feature or line stops it with its number and the reason and nothing
is written (one transaction, rolled back; `dry_run` rolls back a complete run and keeps its report).
"""

import codecs
import csv
import gzip
import hashlib
import io
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import shapely
from django.db import transaction
from django.db.models import Q

from directory import bulk, delegation, geo, land
from directory.layers import ImportFailed, Progress
from directory.models import (
    Domain,
    Layer,
    LayerVersion,
    Organisation,
    OrganisationKind,
    OwnershipSource,
    Parcel,
    ParcelOwnership,
    Perimeter,
    SirenMapping,
)
from directory.signals import one_bump

GPSEO_SIREN = "200059889"
MEMBERS_FILE = Path(__file__).resolve().parent / "data" / "gpseo-communes.json"
CHUNK = 1 << 16
BATCH = 2000
PUBLIC_KINDS = (OrganisationKind.CU, OrganisationKind.COMMUNE, OrganisationKind.STATE)


class _Rollback(Exception):
    pass


def _fail(where, reason):
    raise ImportFailed([f"{where}: {reason}"])


# --- streaming a GeoJSON FeatureCollection --------------------------------------------------------


def open_maybe_gzip(fileobj):
    """A binary stream, gunzipped on the fly when the file starts with the gzip magic number."""
    head = fileobj.peek(2)[:2] if hasattr(fileobj, "peek") else b""
    if not hasattr(fileobj, "peek"):
        fileobj = io.BufferedReader(fileobj)
        head = fileobj.peek(2)[:2]
    return gzip.GzipFile(fileobj=fileobj) if head == b"\x1f\x8b" else fileobj


def iter_features(fileobj):
    """Yield (number, feature) from a GeoJSON FeatureCollection read in chunks (numbers from 1)."""
    decoder = json.JSONDecoder()
    reader = codecs.getincrementaldecoder("utf-8-sig")()
    stream = open_maybe_gzip(fileobj)
    buffer, position, eof = "", 0, False

    def fill():
        nonlocal buffer, position, eof
        try:
            chunk = stream.read(CHUNK)
        except (OSError, EOFError) as exc:
            _fail("file", f"cannot be read ({exc})")
        try:
            text = reader.decode(chunk, final=not chunk)
        except UnicodeDecodeError:
            _fail("file", "is not UTF-8 text")
        buffer, position = buffer[position:] + text, 0
        eof = not chunk

    # Find the features array: '"features"', ':', '['.
    while True:
        fill()
        start = buffer.find('"features"')
        if start >= 0 or eof or len(buffer) > 1 << 20:
            break
    head = buffer[: max(start, 0)]
    if (
        start < 0
        or not head.lstrip().startswith("{")
        or '"FeatureCollection"' not in buffer[:start] + buffer[start : start + 4096]
    ):
        _fail("file", "is not a GeoJSON FeatureCollection")
    position = start + len('"features"')
    for expected in ":[":
        while True:
            while position < len(buffer) and buffer[position].isspace():
                position += 1
            if position < len(buffer) or eof:
                break
            fill()
        if position >= len(buffer) or buffer[position] != expected:
            _fail("file", "is not a GeoJSON FeatureCollection")
        position += 1
    number = 0
    while True:
        while True:
            while position < len(buffer) and (buffer[position].isspace() or buffer[position] == ","):
                position += 1
            if position < len(buffer) or eof:
                break
            fill()
        if position >= len(buffer):
            _fail(f"feature {number + 1}", "the file ends in the middle of the features")
        if buffer[position] == "]":
            return
        while True:
            try:
                feature, end = decoder.raw_decode(buffer, position)
                break
            except json.JSONDecodeError as exc:
                if eof:
                    _fail(f"feature {number + 1}", f"is not valid JSON ({exc.msg})")
                fill()
        number += 1
        position = end
        yield number, feature
        if position > CHUNK:
            buffer, position = buffer[position:], 0


# --- DGFiP owners ----------------------------------------------------------------------------------

OWNER_COLUMNS = {
    "Département": "department",
    "Code Commune": "commune",
    "Préfixe": "prefix",
    "Section": "section",
    "N° plan": "number",
    "Code droit": "right",
    "N° SIREN": "siren",
    "Groupe personne": "group",
    "Dénomination": "name",
}
OPTIONAL_OWNER_COLUMNS = {"Code droit", "Groupe personne"}


def _stem(header):
    header = header.strip().lstrip("\ufeff")
    for separator in (" - ", " ("):
        if separator in header:
            header = header.split(separator, 1)[0]
    return header.strip()


@dataclass(frozen=True)
class Owner:
    siren: str
    name: str
    group: str
    right: str


def read_owners(fileobj):
    """{parcel id: Owner} from a DGFiP legal-entity land CSV (binary file); ImportFailed on any bad line."""
    raw = io.TextIOWrapper(open_maybe_gzip(fileobj), encoding="utf-8-sig", errors="strict", newline="")
    try:
        header_line = raw.readline()
    except UnicodeDecodeError:
        _fail("owners line 1", "the file is not UTF-8 (another encoding, e.g. Latin-1: convert it to UTF-8)")
    if ";" not in header_line:
        _fail("owners line 1", "the file is not ';'-separated with the DGFiP header")
    headers = next(csv.reader([header_line], delimiter=";"))
    stems = [_stem(h) for h in headers]
    positions = {}
    for stem, key in OWNER_COLUMNS.items():
        if stem in stems:
            positions[key] = stems.index(stem)
        elif stem not in OPTIONAL_OWNER_COLUMNS:
            _fail("owners line 1", f"missing column '{stem}' (unknown layout of the DGFiP file)")
    owners = {}
    reader = csv.reader(raw, delimiter=";")
    line = 1
    try:
        for line, row in enumerate(reader, start=2):
            if not row or not any(cell.strip() for cell in row):
                continue
            if len(row) < len(headers):
                _fail(f"owners line {line}", f"{len(row)} columns instead of {len(headers)}")
            value = {key: row[index].strip() for key, index in positions.items()}
            department, commune = value["department"], value["commune"].zfill(3)
            if len(department) != 2 or not commune.isdigit() or not value["number"].isdigit():
                _fail(f"owners line {line}", "department, commune code or plan number is not valid")
            parcel_id = (
                f"{department}{commune}{value['prefix'].zfill(3)}{value['section'].zfill(2)}"
                f"{value['number'].zfill(4)}"
            )
            siren = value["siren"].replace(" ", "")
            if siren and (len(siren) != 9 or not siren.isdigit()):
                _fail(f"owners line {line}", f"SIREN {siren!r} does not have 9 digits")
            owner = Owner(siren, value["name"][:200], value.get("group", ""), value.get("right", ""))
            known = owners.get(parcel_id)
            # One row per subdivision and per right: the full owner ("P") wins over other rights.
            if known is None or (known.right != "P" and owner.right == "P"):
                owners[parcel_id] = owner
    except UnicodeDecodeError:
        _fail(f"owners line {line + 1}", "the file is not UTF-8 (another encoding, e.g. Latin-1: convert it)")
    except csv.Error as exc:
        _fail(f"owners line {line + 1}", f"not a valid CSV line ({exc})")
    return owners


# --- the cadastre ----------------------------------------------------------------------------------


@dataclass
class CadastreReport:
    communes: list = field(default_factory=list)
    features: int = 0
    added: list = field(default_factory=list)
    geometry_changed: list = field(default_factory=list)
    owner_changed: list = field(default_factory=list)
    removed: list = field(default_factory=list)
    subsectors_changed: list = field(default_factory=list)  # {"code", "manager_before", "manager_after"}
    unmapped: dict = field(default_factory=dict)  # siren -> {"name", "parcels"}
    dry_run: bool = False

    def counts(self):
        return {
            "added": len(self.added),
            "geometry_changed": len(self.geometry_changed),
            "owner_changed": len(self.owner_changed),
            "removed": len(self.removed),
            "subsectors_changed": len(self.subsectors_changed),
        }

    def lines(self, limit=20):
        counts = self.counts()
        yield (
            f"{'Dry run: nothing written. ' if self.dry_run else ''}{self.features} parcels read for "
            f"{', '.join(self.communes) or 'no commune'}: {counts['added']} added, "
            f"{counts['geometry_changed']} with a new outline, {counts['owner_changed']} with a new owner, "
            f"{counts['removed']} removed."
        )
        for label, refs in (
            ("added", self.added),
            ("new outline", self.geometry_changed),
            ("new owner", self.owner_changed),
            ("removed", self.removed),
        ):
            if refs:
                more = f" and {len(refs) - limit} more" if len(refs) > limit else ""
                yield f"  {label}: {', '.join(refs[:limit])}{more}"
        for item in self.subsectors_changed:
            yield (
                f"  sub-sector {item['code']}: land shares changed, delegated manager "
                f"{item['manager_before'] or '-'} -> {item['manager_after'] or '-'}"
            )
        for siren, info in sorted(self.unmapped.items(), key=lambda kv: -kv[1]["parcels"]):
            yield f"  unmapped SIREN {siren} ({info['name']}): {info['parcels']} parcel(s)"


def parcel_id(props):
    return (
        f"{props.get('commune', '')}{str(props.get('prefixe') or '000').zfill(3)}"
        f"{str(props.get('section', '')).zfill(2)}{str(props.get('numero', '')).zfill(4)}"
    )


def _subsector_states(bbox):
    if bbox is None:
        return {}
    min_lon, min_lat, max_lon, max_lat = bbox
    queryset = Perimeter.objects.filter(
        layer=Layer.SUBSECTORS,
        min_lon__lte=max_lon,
        max_lon__gte=min_lon,
        min_lat__lte=max_lat,
        max_lat__gte=min_lat,
    ).select_related("delegated_manager")
    return {
        p.code: (
            p.delegated_manager.code if p.delegated_manager else None,
            p.land_shares,
            p.delegation_schedule,
        )
        for p in queryset
    }


def _grow(bbox, bounds):
    if bbox is None:
        return tuple(bounds)
    return (
        min(bbox[0], bounds[0]),
        min(bbox[1], bounds[1]),
        max(bbox[2], bounds[2]),
        max(bbox[3], bounds[3]),
    )


def import_cadastre(fileobj, *, owners_file=None, dry_run=False, stream=None, today=None):
    """Import one commune's (or several communes') Etalab parcels with their DGFiP owners; `fileobj` may be
    a list of files (one per commune: one transaction, one recompute of the sub-sectors). Returns the
    CadastreReport; raises ImportFailed (nothing written) on the first bad feature or line."""
    today = today or land.as_day()
    owners = read_owners(owners_file) if owners_file is not None else {}
    mapping = dict(SirenMapping.objects.values_list("siren", "organisation_id"))
    org_kinds = dict(Organisation.objects.values_list("id", "kind"))
    communes = dict(Organisation.objects.filter(kind=OrganisationKind.COMMUNE).values_list("insee", "name"))
    report = CadastreReport(dry_run=dry_run)
    try:
        with transaction.atomic(), one_bump():
            _import_cadastre(fileobj, owners, mapping, org_kinds, communes, report, stream, today)
            if dry_run:
                raise _Rollback
    except _Rollback:
        pass
    return report


def _import_cadastre(fileobj, owners, mapping, org_kinds, communes, report, stream, today):
    existing = {}  # ref -> [pk, owner_id, geometry hash] of the parcels existing today
    absent = {}  # ref -> (valid_from, valid_until) of the commune's parcels retired or not yet created
    loaded_communes = set()
    current_periods = {}
    seen = set()
    to_create, to_update = [], []
    bbox = None
    progress = Progress("Reading parcels", 0, stream)

    def load_commune(insee):
        parcels = Parcel.objects.existing_on(today).filter(ref__startswith=insee)
        for pk, ref, owner_id, digest in parcels.values_list(
            "pk", "ref", "owner_id", "properties__geometry_hash"
        ):
            existing[ref] = (pk, owner_id, digest)
        others = Parcel.objects.filter(ref__startswith=insee).exclude(
            pk__in=Parcel.objects.existing_on(today)
        )
        for ref, valid_from, valid_until in others.values_list("ref", "valid_from", "valid_until"):
            absent[ref] = (valid_from, valid_until)
        periods = ParcelOwnership.objects.filter(parcel__ref__startswith=insee).filter(
            Q(valid_until__isnull=True) | Q(valid_until__gt=today)
        )
        fields = ("pk", "parcel_id", "owner_id", "siren", "valid_from", "valid_until")
        for row in periods.order_by("valid_from").values_list(*fields):
            current_periods.setdefault(row[1], []).append(_Period(*row))
        loaded_communes.add(insee)
        report.communes.append(insee)

    def flush():
        _write_new(to_create, new_periods, today)
        bulk.insert_rows(ParcelOwnership, new_periods)
        new_periods.clear()
        _set_areas(to_update)
        if to_update:
            Parcel.objects.bulk_update(
                to_update,
                ["geometry", "properties", "min_lon", "min_lat", "max_lon", "max_lat", "area_m2"],
                batch_size=BATCH,
            )
        to_create.clear()
        to_update.clear()

    new_periods, closed_periods, owner_updates = [], [], []

    files = list(fileobj) if isinstance(fileobj, list | tuple) else [fileobj]

    def features():
        for position, each in enumerate(files):
            label = f"file {position + 1}, " if len(files) > 1 else ""
            for number, feature in iter_features(each):
                yield label, number, feature

    for read, (label, number, feature) in enumerate(features(), start=1):
        where = f"{label}feature {number}"
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            _fail(where, "not a GeoJSON Feature")
        props = feature.get("properties")
        if not isinstance(props, dict) or not isinstance(props.get("id"), str):
            _fail(where, "property 'id' (the parcel id) is missing")
        ref = props["id"]
        where = f"{label}feature {number} (parcel {ref[:20]})"
        for name in ("commune", "section", "numero"):
            if not isinstance(props.get(name), str) or not props[name]:
                _fail(where, f"property '{name}' is missing")
        if len(ref) != 14 or parcel_id(props) != ref:
            _fail(where, f"the id does not match commune, prefixe, section and numero ({parcel_id(props)})")
        insee = props["commune"]
        if insee not in communes:
            _fail(where, f"commune {insee} is not a member of the community")
        if insee not in loaded_communes:
            load_commune(insee)
        if ref in seen:
            _fail(where, "the parcel appears twice in the file")
        seen.add(ref)
        if feature.get("geometry") is None:
            _fail(where, "geometry is missing")
        # Stored as read when GEOS reads it as is (the lists of the JSON text: what `geojson_from_shape`
        # gives back for the float coordinates of the published files), serialised once for GEOS, the
        # digest and the row; otherwise (e.g. a ring left open) as `geojson_from_shape` writes it.
        source = feature["geometry"]
        if not isinstance(source, dict):
            _fail(where, "geometry must be a GeoJSON object with a type")
        geometry = {"type": source.get("type"), "coordinates": source.get("coordinates")}
        try:
            geometry_text = json.dumps(geometry, separators=(",", ":"))
            shape = geo.shape_from_geojson(source, text=geometry_text)
        except (TypeError, ValueError) as exc:
            _fail(where, str(exc) if isinstance(exc, geo.GeometryError) else f"malformed geometry ({exc})")
        if not _as_read(shape, geometry):
            geometry = geo.geojson_from_shape(shape)
            geometry_text = json.dumps(geometry, separators=(",", ":"))
        digest = hashlib.sha1(geometry_text.encode()).hexdigest()[:20]
        properties = {
            key: props.get(key)
            for key in (
                "commune",
                "prefixe",
                "section",
                "numero",
                "contenance",
                "arpente",
                "created",
                "updated",
            )
            if key in props
        }
        properties["geometry_hash"] = digest
        owner = owners.get(ref)
        siren = owner.siren if owner else ""
        owner_id = mapping.get(siren) if siren else None
        if siren and owner_id is None:
            info = report.unmapped.setdefault(siren, {"name": owner.name, "parcels": 0})
            info["parcels"] += 1
        known = existing.get(ref)
        if known is None and ref in absent:
            valid_from, valid_until = absent[ref]
            when = (
                f"exists only from {valid_from.isoformat()}"
                if valid_from and valid_from > today
                else f"no longer exists since {valid_until.isoformat()}"
            )
            _fail(
                where, f"the parcel {when} in our records (a land operation or an earlier import): check it"
            )
        if known is None:
            min_lon, min_lat, max_lon, max_lat = shape.bounds
            row = {
                "ref": ref,
                "owner_id": owner_id,
                "domain": Domain.PUBLIC if org_kinds.get(owner_id) in PUBLIC_KINDS else Domain.PRIVATE,
                "geometry": bulk.JsonText(geometry_text),
                "properties": properties,
                "min_lon": min_lon,
                "min_lat": min_lat,
                "max_lon": max_lon,
                "max_lat": max_lat,
                "valid_from": None,
                "valid_until": None,
            }
            to_create.append((row, shape, (owner_id, siren, owner.name if owner else "")))
            report.added.append(ref)
            bbox = _grow(bbox, shape.bounds)
        else:
            pk, old_owner_id, old_digest = known
            if old_digest != digest:
                parcel = Parcel(pk=pk, ref=ref, geometry=geometry, properties=properties, area_m2=0.0)
                parcel.min_lon, parcel.min_lat, parcel.max_lon, parcel.max_lat = shape.bounds
                parcel._shape = shape
                to_update.append(parcel)
                report.geometry_changed.append(ref)
                bbox = _grow(bbox, shape.bounds)
            periods = current_periods.get(pk, [])
            later = [p for p in periods if p.valid_from is not None and p.valid_from > today]
            current = land.covering(periods, today)
            now = (
                (current.owner_id, current.siren)
                if current
                else ((old_owner_id, "") if not periods else (None, ""))
            )
            if now != (owner_id, siren):
                if later:
                    _fail(
                        where,
                        f"an owner is already recorded from {later[0].valid_from.isoformat()}: the new owner "
                        "would overlap that period",
                    )
                if not periods:
                    # Before dated ownership the parcel's owner held it at every date: its first period.
                    new_periods.append(_period_row(pk, old_owner_id, "", "", None, today))
                elif current is not None:
                    closed_periods.append(current.pk)
                new_periods.append(_period_row(pk, owner_id, siren, owner.name if owner else "", today, None))
                owner_updates.append((pk, owner_id))
                report.owner_changed.append(ref)
                bbox = _grow(bbox, shape.bounds)
        report.features = read
        if len(to_create) + len(to_update) >= BATCH:
            flush()
        progress.update(read)
    if not report.features:
        _fail("file", "the FeatureCollection is empty")
    flush()
    # Today's periods that a re-run of the same day replaces are corrected rather than closed on their start.
    same_day = set(
        ParcelOwnership.objects.filter(pk__in=closed_periods, valid_from=today).values_list("pk", flat=True)
    )
    if same_day:
        ParcelOwnership.objects.filter(pk__in=same_day).delete()
    ParcelOwnership.objects.filter(pk__in=set(closed_periods) - same_day).update(valid_until=today)
    by_owner = {}
    for pk, owner_id in owner_updates:
        by_owner.setdefault(owner_id, []).append(pk)
    for owner_id, pks in by_owner.items():
        for start in range(0, len(pks), BATCH):
            Parcel.objects.filter(pk__in=pks[start : start + BATCH]).update(owner_id=owner_id)
    removed = [ref for ref in existing if ref not in seen]
    for start in range(0, len(removed), BATCH):
        chunk = removed[start : start + BATCH]
        for bounds in Parcel.objects.filter(ref__in=chunk).values_list(
            "min_lon", "min_lat", "max_lon", "max_lat"
        ):
            bbox = _grow(bbox, bounds)
        Parcel.objects.filter(ref__in=chunk).update(valid_until=today)
    report.removed = sorted(removed)
    before = _subsector_states(bbox)
    if bbox is not None:
        delegation.recompute_delegations(bbox=bbox)
        LayerVersion.bump(LayerVersion.TERRITORY)
    after = _subsector_states(bbox)
    for code, state in sorted(after.items()):
        if before.get(code) != state:
            report.subsectors_changed.append(
                {"code": code, "manager_before": before.get(code, (None,))[0], "manager_after": state[0]}
            )


class _Period:
    """What the import needs of an ownership period (a model instance each weighs far more, by the
    hundred thousand)."""

    __slots__ = ("owner_id", "parcel_id", "pk", "siren", "valid_from", "valid_until")

    def __init__(self, pk, parcel_id, owner_id, siren, valid_from, valid_until):
        self.pk, self.parcel_id, self.owner_id, self.siren = pk, parcel_id, owner_id, siren
        self.valid_from, self.valid_until = valid_from, valid_until

    def covers(self, day):
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_until is None or day < self.valid_until
        )


def _as_read(shape, geometry):
    """Whether the geometry read is what its shape writes back: same type, rings closed, same number of
    points (then the coordinates are the same numbers)."""
    coordinates = geometry["coordinates"]
    if geometry["type"] == "Polygon":
        polygons = [coordinates]
    elif geometry["type"] == "MultiPolygon":
        polygons = coordinates
    else:
        return False
    try:
        rings = [ring for polygon in polygons for ring in polygon]
        closed = all(len(ring) >= 4 and ring[0] == ring[-1] for ring in rings)
    except TypeError:
        return False
    return closed and shapely.get_num_coordinates(shape) == sum(len(ring) for ring in rings)


def _set_areas(parcels):
    """Lambert-93 areas of a batch of parcels in one projection call (one per parcel costs far more)."""
    if parcels:
        shapes = [
            geo.shape_from_geojson(p.geometry, kinds=None) if p._shape is None else p._shape for p in parcels
        ]
        for parcel, area in zip(parcels, geo.areas_m2(shapes), strict=True):
            parcel.area_m2 = float(area)


def _write_new(to_create, new_periods, today):
    """Create the new parcels of the batch and queue their first ownership period (when an owner is named).
    `to_create`: (row, shape, (owner id, SIREN, name)) of each new parcel."""
    if not to_create:
        return
    areas = geo.areas_m2([shape for _row, shape, _owner in to_create])
    for (row, _shape, _owner), area in zip(to_create, areas, strict=True):
        row["area_m2"] = float(area)
    ids = bulk.insert_rows(Parcel, [row for row, _shape, _owner in to_create])
    for pk, (_row, _shape, (owner_id, siren, name)) in zip(ids, to_create, strict=True):
        if owner_id or siren:
            new_periods.append(_period_row(pk, owner_id, siren, name, today, None))
    to_create.clear()


def _period_row(parcel_id, owner_id, siren, name, valid_from, valid_until):
    return {
        "parcel_id": parcel_id,
        "owner_id": owner_id,
        "siren": siren,
        "owner_name": name,
        "valid_from": valid_from,
        "valid_until": valid_until,
        "source": OwnershipSource.IMPORT,
        "operation_id": None,
    }


def unmapped_sirens():
    """SIRENs named by today's ownership periods and mapped to no organisation: [(siren, name, parcels)]."""
    today = land.as_day()
    rows = (
        ParcelOwnership.objects.filter(owner__isnull=True)
        .exclude(siren="")
        .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=today))
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=today))
        .values_list("siren", "owner_name")
    )
    found = {}
    for siren, name in rows:
        entry = found.setdefault(siren, [name, 0])
        entry[1] += 1
    return sorted(
        ((siren, name, count) for siren, (name, count) in found.items()), key=lambda r: (-r[2], r[0])
    )


# --- QPV and communes: translated to the layers' format -------------------------------------------


def qpv_collection(fileobj):
    """The ANCT 2024 QPV GeoJSON as a layer collection (features outside the community's communes left
    out). A QPV across several communes keeps one feature per commune, coded `<code_qp>-<INSEE>`."""
    communes = set(Organisation.objects.filter(kind=OrganisationKind.COMMUNE).values_list("insee", flat=True))
    features, codes, skipped = [], {}, 0
    for number, feature in iter_features(fileobj):
        props = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(props, dict):
            _fail(f"feature {number}", "not a GeoJSON Feature with properties")
        for name in ("code_qp", "lib_qp", "insee_com"):
            if not isinstance(props.get(name), str) or not props[name].strip():
                _fail(f"feature {number}", f"property '{name}' is missing")
        if props["insee_com"] not in communes:
            skipped += 1
            continue
        if feature.get("geometry") is None:
            _fail(f"feature {number} (code {props['code_qp']})", "geometry is missing")
        codes.setdefault(props["code_qp"], []).append(len(features))
        extra = {k: v for k, v in props.items() if k not in ("code_qp", "lib_qp", "insee_com")}
        features.append(
            {
                "type": "Feature",
                "geometry": feature["geometry"],
                "properties": {
                    "code": props["code_qp"],
                    "name": props["lib_qp"],
                    "commune": props["insee_com"],
                    **extra,
                },
            }
        )
    for positions in codes.values():
        if len(positions) > 1:
            for position in positions:
                props = features[position]["properties"]
                props["code"] = f"{props['code']}-{props['commune']}"
    return {"type": "FeatureCollection", "features": features}, skipped


def communes_collection(fileobj):
    """Commune outlines from the geographic API (`code`, `nom`) as a layer collection; features of another
    EPCI (`codeEpci`) are left out."""
    from django.utils.text import slugify

    features, skipped = [], 0
    for number, feature in iter_features(fileobj):
        props = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(props, dict):
            _fail(f"feature {number}", "not a GeoJSON Feature with properties")
        for name in ("code", "nom"):
            if not isinstance(props.get(name), str) or not props[name].strip():
                _fail(f"feature {number}", f"property '{name}' is missing")
        if props.get("codeEpci") not in (None, "", GPSEO_SIREN):
            skipped += 1
            continue
        existing = Organisation.objects.filter(insee=props["code"]).values_list("code", flat=True).first()
        extra = {k: v for k, v in props.items() if k not in ("code", "nom")}
        features.append(
            {
                "type": "Feature",
                "geometry": feature.get("geometry"),
                "properties": {
                    "code": existing or slugify(props["nom"]),
                    "name": props["nom"],
                    "insee": props["code"],
                    **extra,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}, skipped


@lru_cache(maxsize=1)
def member_communes():
    """The 73 member communes of the community, from @etalab/decoupage-administratif (extracted by
    web/vendor.sh into directory/data/gpseo-communes.json): [{"insee", "name", "siren", ...}]."""
    return json.loads(MEMBERS_FILE.read_text(encoding="utf-8"))["communes"]
