"""GeoJSON import and export of the territory layers (see docs/geojson-layers.md).

Import is all or nothing: every feature is validated first and every problem collected (feature index,
code and reason); only a file without any problem is written, in one transaction. Export writes a layer
back so that importing a file and exporting it gives the same features.
"""

import json
import sys
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.text import slugify

from directory import delegation, geo
from directory.models import (
    DEFAULT_DELEGATION_THRESHOLD_PCT,
    Domain,
    Layer,
    LayerVersion,
    Organisation,
    OrganisationKind,
    Parcel,
    Perimeter,
    Unit,
)
from directory.signals import one_bump

PARCELS = "parcels"
LAYERS = [*Layer.values, PARCELS]
WGS84_NAMES = {
    "urn:ogc:def:crs:OGC:1.3:CRS84",
    "urn:ogc:def:crs:OGC::CRS84",
    "urn:ogc:def:crs:EPSG::4326",
    "urn:ogc:def:crs:EPSG:4326",
    "EPSG:4326",
    "CRS84",
    "OGC:CRS84",
}
# Properties with a meaning, per layer; any other property is kept as is in `properties`.
KNOWN = {
    Layer.COMMUNES: ("code", "name", "insee"),
    Layer.QPV: ("code", "name", "commune"),
    Layer.SECTORS: ("code", "name", "unit"),
    Layer.ZONES: ("code", "name", "commune", "unit"),
    Layer.SUBSECTORS: ("code", "name", "commune", "unit", "threshold_pct"),
    PARCELS: ("ref", "owner", "domain"),
}


class ImportFailed(Exception):
    """The file cannot be imported; `errors` lists every problem found (nothing was saved)."""

    def __init__(self, errors):
        self.errors = errors
        super().__init__(errors[0] if errors else "import failed")


@dataclass
class Row:
    index: int
    key: str
    shape: object
    values: dict
    extras: dict


@dataclass
class ImportResult:
    layer: str
    created: int = 0
    updated: int = 0
    deleted: int = 0
    delegations_changed: int = 0
    owners_changed: int = 0  # parcels: existing parcels given another owner (dated from today)
    communes_created: list = field(default_factory=list)


class Progress:
    """A plain progress bar on a text stream (stderr), drawn at most every 1 %."""

    def __init__(self, label, total, stream=None, width=30):
        self.label, self.total, self.width = label, total, width
        self.stream = stream if stream is not None else sys.stderr
        # On a terminal the bar is redrawn in place every 1 %; in a log, one line every 10 %.
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.step = max(1, total // (100 if self.tty else 10))

    def update(self, done):
        if self.total and (done % self.step == 0 or done == self.total):
            filled = int(self.width * done / self.total)
            bar = "#" * filled + "-" * (self.width - filled)
            start = "\r" if self.tty else ""
            self.stream.write(f"{start}{self.label} [{bar}] {done}/{self.total}")
            if done == self.total or not self.tty:
                self.stream.write("\n")
            self.stream.flush()


def _feature_label(index, key):
    if key and len(key) > 64:
        key = key[:61] + "..."
    return f"feature {index}" + (f" (code {key})" if key else "")


def _shown(value, limit=60):
    """A value as quoted in a message: its repr, cut to `limit` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _text(value):
    return value.strip() if isinstance(value, str) else value


MAX_DEPTH = 20  # of a feature's properties and geometry


def _refuse_constant(name):
    raise ValueError(f"{name} is not a number JSON allows")


def text_problem(value):
    """Why a text cannot be stored (the database refuses NUL and unencodable text), or None."""
    if "\x00" in value:
        return "contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode text"
    return None


def data_problem(value, where):
    """The first text that cannot be stored, or nesting too deep, in a JSON value, as 'where: reason'."""
    stack = [(where, value, 0)]
    while stack:
        path, item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"{path} is nested deeper than {MAX_DEPTH} levels"
        if isinstance(item, str):
            problem = text_problem(item)
            if problem:
                return f"{path} {problem}"
        elif isinstance(item, dict):
            for key, child in item.items():
                problem = text_problem(key)
                if problem:
                    return f"a key of {path} {problem}"
                stack.append((f"{path}.{key}", child, depth + 1))
        elif isinstance(item, list):
            stack.extend((f"{path}[{index}]", child, depth + 1) for index, child in enumerate(item))
    return None


def read_collection(raw):
    """Parse the text of a GeoJSON FeatureCollection, refusing anything but WGS84."""
    try:
        data = json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ImportFailed([f"the file is not valid JSON ({' '.join(str(exc).split())})"]) from None
    except RecursionError:
        raise ImportFailed([f"the file is nested deeper than {MAX_DEPTH} levels"]) from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise ImportFailed(["the file is not a GeoJSON FeatureCollection"])
    crs = data.get("crs")
    if crs is not None:
        crs_properties = crs.get("properties") if isinstance(crs, dict) else None
        name = crs_properties.get("name") if isinstance(crs_properties, dict) else None
        if not isinstance(name, str) or name not in WGS84_NAMES:
            name = name if isinstance(name, str) and text_problem(name) is None else None
            raise ImportFailed(
                [f"CRS {name if name else _shown(crs)} is not WGS84 (EPSG:4326): reproject the file first"]
            )
    features = data.get("features")
    if not isinstance(features, list):
        raise ImportFailed(["the FeatureCollection has no features list"])
    if not features:
        raise ImportFailed(["the FeatureCollection is empty"])
    return features


class Validator:
    def __init__(self, layer):
        self.layer = layer
        self.communes = {org.insee: org for org in Organisation.objects.filter(kind=OrganisationKind.COMMUNE)}
        self.organisations = {org.code: org for org in Organisation.objects.all()}
        self.units = {unit.code: unit for unit in Unit.objects.all()}
        self.insee_seen = {}

    def feature(self, index, feature):
        """A Row, or raise ValueError(key, reason)."""
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise ValueError(None, "not a GeoJSON Feature")
        props = feature.get("properties") or {}
        if not isinstance(props, dict):
            raise ValueError(None, "properties must be an object")
        key_name = "ref" if self.layer == PARCELS else "code"
        key = _text(props.get(key_name))
        if not key or not isinstance(key, str):
            raise ValueError(None, f"property '{key_name}' is missing")
        if text_problem(key):
            raise ValueError(None, f"property '{key_name}' {text_problem(key)}")
        problem = data_problem(props, "properties") or data_problem(feature.get("geometry"), "geometry")
        if problem:
            raise ValueError(key, problem)
        if len(key) > 64:
            raise ValueError(key, f"'{key_name}' is longer than 64 characters")
        if isinstance(feature.get("crs"), dict):
            raise ValueError(key, "a feature-level CRS is not supported: the file must be in WGS84")
        if feature.get("geometry") is None:
            raise ValueError(key, "geometry is missing")
        try:
            shape = geo.shape_from_geojson(feature["geometry"])
        except geo.GeometryError as exc:
            raise ValueError(key, str(exc)) from None
        extras = {name: value for name, value in props.items() if name not in KNOWN[self.layer]}
        values = getattr(self, f"values_{self.layer}")(key, props)
        return Row(index=index, key=key, shape=shape, values=values, extras=extras)

    def _name(self, key, props):
        name = _text(props.get("name"))
        if not name or not isinstance(name, str):
            raise ValueError(key, "property 'name' is missing")
        if len(name) > 200:
            raise ValueError(key, "'name' is longer than 200 characters")
        return name

    def _commune(self, key, props, required=False):
        insee = _text(props.get("commune"))
        if insee in (None, ""):
            if required:
                raise ValueError(key, "property 'commune' (INSEE code) is missing")
            return None
        commune = self.communes.get(str(insee))
        if commune is None:
            raise ValueError(key, f"unknown commune INSEE code {_shown(insee)}")
        return commune

    def _unit(self, key, props):
        code = _text(props.get("unit"))
        if code in (None, ""):
            return None
        if not isinstance(code, str):
            raise ValueError(key, "property 'unit' must be a unit code (a text)")
        unit = self.units.get(code)
        if unit is None:
            raise ValueError(key, f"unknown unit {_shown(code)}")
        return unit

    def values_communes(self, key, props):
        insee = _text(props.get("insee"))
        if not isinstance(insee, str) or len(insee) != 5 or not insee.isalnum():
            raise ValueError(key, "property 'insee' must be a 5-character INSEE code")
        if insee in self.insee_seen:
            raise ValueError(key, f"INSEE code {insee} is also used by {self.insee_seen[insee]}")
        self.insee_seen[insee] = key
        organisation = self.communes.get(insee)
        if organisation is None:
            other = self.organisations.get(slugify(key))
            if other is not None:
                raise ValueError(key, f"organisation {other.code!r} exists and is not the commune {insee}")
        return {"name": self._name(key, props), "insee": insee, "commune": organisation}

    def values_qpv(self, key, props):
        return {"name": self._name(key, props), "commune": self._commune(key, props)}

    def values_sectors(self, key, props):
        return {"name": self._name(key, props), "unit": self._unit(key, props)}

    def values_zones(self, key, props):
        return {
            "name": self._name(key, props),
            "commune": self._commune(key, props),
            "unit": self._unit(key, props),
        }

    def values_subsectors(self, key, props):
        values = self.values_zones(key, props)
        threshold = props.get("threshold_pct")
        if threshold is None:
            values["delegation_threshold_pct"] = Decimal(DEFAULT_DELEGATION_THRESHOLD_PCT)
        else:
            try:
                if isinstance(threshold, bool):
                    raise InvalidOperation
                number = Decimal(str(threshold))
            except InvalidOperation:
                raise ValueError(key, f"threshold_pct {_shown(threshold)} is not a number") from None
            if not number.is_finite():
                raise ValueError(key, f"threshold_pct {_shown(threshold)} is not a number")
            if not (0 <= number <= 100):
                raise ValueError(key, f"threshold_pct {_shown(threshold)} is not between 0 and 100")
            values["delegation_threshold_pct"] = number
        return values

    def values_parcels(self, key, props):
        owner_code = _text(props.get("owner"))
        owner = None
        if owner_code not in (None, ""):
            if not isinstance(owner_code, str):
                raise ValueError(key, "property 'owner' must be an organisation code (a text)")
            owner = self.organisations.get(owner_code)
            if owner is None:
                raise ValueError(key, f"unknown owner {_shown(owner_code)} (no organisation has this code)")
        domain = _text(props.get("domain"))
        if domain not in Domain.values:
            raise ValueError(key, f"domain {_shown(domain)} is not one of {', '.join(Domain.values)}")
        return {"owner": owner, "domain": domain}


def validate(layer, features, *, replace, stream=None):
    """Every feature checked; returns rows, or raises ImportFailed listing every problem."""
    validator = Validator(layer)
    existing = set(_existing(layer).values_list("ref" if layer == PARCELS else "code", flat=True))
    rows, errors, seen = [], [], {}
    progress = Progress(f"Checking {layer}", len(features), stream)
    for index, feature in enumerate(features):
        try:
            row = validator.feature(index, feature)
        except ValueError as exc:
            key, reason = exc.args
            errors.append(f"{_feature_label(index, key)}: {reason}")
        else:
            if row.key in seen:
                errors.append(
                    f"{_feature_label(index, row.key)}: duplicate code (also feature {seen[row.key]})"
                )
            elif row.key in existing and not replace:
                errors.append(
                    f"{_feature_label(index, row.key)}: duplicate code (already in the layer; "
                    "use --replace to replace the layer)"
                )
            else:
                seen[row.key] = index
                rows.append(row)
        progress.update(index + 1)
    if errors:
        raise ImportFailed(errors)
    return rows


def _existing(layer):
    return Parcel.objects.all() if layer == PARCELS else Perimeter.objects.filter(layer=layer)


def import_layer(layer, raw, *, replace=False, stream=None):
    """Import the text of a GeoJSON file into a layer, all or nothing. Returns an ImportResult."""
    if layer not in LAYERS:
        raise ImportFailed([f"unknown layer {layer!r} (expected one of {', '.join(LAYERS)})"])
    features = read_collection(raw)
    rows = validate(layer, features, replace=replace, stream=stream)
    result = ImportResult(layer=layer)
    with transaction.atomic(), one_bump():
        _write(layer, rows, replace, result, stream)
        if layer in (PARCELS, Layer.SUBSECTORS):
            result.delegations_changed = delegation.recompute_delegations()
        LayerVersion.bump(LayerVersion.TERRITORY)  # bulk writes send no signal
    return result


def _write(layer, rows, replace, result, stream):
    key_name = "ref" if layer == PARCELS else "code"
    current = {getattr(obj, key_name): obj for obj in _existing(layer)}
    model = Parcel if layer == PARCELS else Perimeter
    to_create, to_update, owner_changes = [], [], []
    progress = Progress(f"Writing {layer}", len(rows), stream)
    for done, row in enumerate(rows, start=1):
        obj = current.pop(row.key, None)
        if obj is None:
            obj = model(**{key_name: row.key})
            if layer != PARCELS:
                obj.layer = layer
            to_create.append(obj)
        else:
            to_update.append(obj)
            new_owner = row.values["owner"].pk if layer == PARCELS and row.values["owner"] else None
            if layer == PARCELS and new_owner != obj.owner_id:
                owner_changes.append((done - 1, obj, obj.owner_id))
        values = dict(row.values)
        if layer == Layer.COMMUNES:
            insee = values.pop("insee")
            if values["commune"] is None:
                values["commune"] = Organisation.objects.create(
                    code=slugify(row.key), name=values["name"], kind=OrganisationKind.COMMUNE, insee=insee
                )
                result.communes_created.append(insee)
        for name, value in values.items():
            setattr(obj, name, value)
        obj.properties = row.extras
        obj.geometry = geo.geojson_from_shape(row.shape)
        obj.min_lon, obj.min_lat, obj.max_lon, obj.max_lat = row.shape.bounds
        obj.area_m2 = geo.area_m2(row.shape)
        progress.update(done)
    fields = ["geometry", "properties", "min_lon", "min_lat", "max_lon", "max_lat", "area_m2"]
    fields += [name for name in (rows[0].values if rows else {}) if name != "insee"]
    model.objects.bulk_create(to_create, batch_size=1000)
    if to_update:
        model.objects.bulk_update(to_update, fields, batch_size=1000)
    if owner_changes:
        result.owners_changed = _date_owner_changes(owner_changes)
    if replace and current:
        model.objects.filter(pk__in=[obj.pk for obj in current.values()]).delete()
    result.created, result.updated, result.deleted = (
        len(to_create),
        len(to_update),
        len(current) if replace else 0,
    )


def _date_owner_changes(changes):
    """Existing parcels given another owner: as in the open-data import, the period covering today is
    closed and a new one opens today (a parcel without periods first gets one for its former owner until
    today); a period already recorded after today makes the file refused (the change would overlap it).
    `changes`: (feature index, parcel with its new owner, former owner id). Returns how many changed."""
    from directory import land
    from directory.models import OwnershipSource, ParcelOwnership

    today = land.as_day()
    periods = {}
    for period in ParcelOwnership.objects.filter(parcel__in=[obj.pk for _i, obj, _old in changes]):
        periods.setdefault(period.parcel_id, []).append(period)
    new_periods, closed, corrected, errors = [], [], [], []
    for index, parcel, old_owner_id in changes:
        mine = sorted(periods.get(parcel.pk, []), key=lambda p: p.valid_from or land.FAR_PAST)
        later = [p for p in mine if p.valid_from is not None and p.valid_from > today]
        if later:
            errors.append(
                f"{_feature_label(index, parcel.ref)}: an owner is already recorded from "
                f"{later[0].valid_from.isoformat()}: the new owner would overlap that period"
            )
            continue
        current = land.covering(mine, today)
        if current is not None and current.valid_from == today:
            current.owner_id, current.siren, current.owner_name = parcel.owner_id, "", ""
            current.source = OwnershipSource.IMPORT
            corrected.append(current)
            continue
        if not mine:
            new_periods.append(
                ParcelOwnership(
                    parcel=parcel, owner_id=old_owner_id, valid_until=today, source=OwnershipSource.IMPORT
                )
            )
        elif current is not None:
            current.valid_until = today
            closed.append(current)
        new_periods.append(
            ParcelOwnership(
                parcel=parcel, owner_id=parcel.owner_id, valid_from=today, source=OwnershipSource.IMPORT
            )
        )
    if errors:
        raise ImportFailed(errors)
    ParcelOwnership.objects.bulk_update(closed, ["valid_until"], batch_size=1000)
    ParcelOwnership.objects.bulk_update(
        corrected, ["owner_id", "siren", "owner_name", "source"], batch_size=1000
    )
    ParcelOwnership.objects.bulk_create(new_periods, batch_size=1000)
    return len(changes)


def _number(value):
    return int(value) if value == int(value) else float(value)


def feature_of(layer, obj):
    props = dict(obj.properties or {})
    if layer == PARCELS:
        props.update(ref=obj.ref, owner=obj.owner.code if obj.owner else None, domain=obj.domain)
    else:
        props.update(code=obj.code, name=obj.name)
        if layer == Layer.COMMUNES:
            props["insee"] = obj.commune.insee if obj.commune else None
        else:
            if "commune" in KNOWN[layer] and obj.commune:
                props["commune"] = obj.commune.insee
            if "unit" in KNOWN[layer] and obj.unit:
                props["unit"] = obj.unit.code
            if layer == Layer.SUBSECTORS and obj.delegation_threshold_pct != DEFAULT_DELEGATION_THRESHOLD_PCT:
                props["threshold_pct"] = _number(obj.delegation_threshold_pct)
    return {"type": "Feature", "properties": props, "geometry": obj.geometry}


def export_layer(layer):
    """The layer as a GeoJSON FeatureCollection (a dict), ordered by code (or ref)."""
    if layer not in LAYERS:
        raise ValueError(f"unknown layer {layer!r} (expected one of {', '.join(LAYERS)})")
    queryset = _existing(layer).select_related(*(["owner"] if layer == PARCELS else ["commune", "unit"]))
    return {"type": "FeatureCollection", "features": [feature_of(layer, obj) for obj in queryset]}
