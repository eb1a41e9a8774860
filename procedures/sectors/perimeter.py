"""A sector procedure's perimeter: built from sub-sectors, a drawn/imported polygon or a landlord's parcels;
checked (valid, inside the territory, not overlapping another active procedure) and measured (land shares
and delegated manager, the 60 % rule of `directory.delegation`)."""

import json

import shapely
from django.utils.translation import gettext as _

from directory import delegation, geo
from directory.models import Layer, Perimeter
from engine.errors import InvalidFields

# Slivers under this area (boundaries digitised slightly apart) are not an overlap or an overflow.
TOLERANCE_M2 = 1.0


def parse_geojson(value, field):
    """A GeoJSON geometry, Feature or FeatureCollection (dict or text) as one polygonal shapely shape."""
    if isinstance(value, str | bytes):
        try:
            value = json.loads(value)
        except ValueError:
            raise InvalidFields({field: _("This is not valid GeoJSON.")}) from None
    if not isinstance(value, dict):
        raise InvalidFields({field: _("This is not valid GeoJSON.")})
    if value.get("type") == "FeatureCollection":
        geometries = [f.get("geometry") for f in value.get("features") or () if isinstance(f, dict)]
    elif value.get("type") == "Feature":
        geometries = [value.get("geometry")]
    else:
        geometries = [value]
    if not geometries:
        raise InvalidFields({field: _("The GeoJSON holds no polygon.")})
    shapes = []
    for geometry in geometries:
        try:
            shapes.append(geo.shape_from_geojson(geometry))
        except geo.GeometryError as exc:
            if "self-intersection" in str(exc).lower() or "ring self" in str(exc).lower():
                raise InvalidFields(
                    {field: _("The perimeter crosses itself: draw its outline again.")}
                ) from None
            if "type" in str(exc) and "not allowed" in str(exc):
                raise InvalidFields({field: _("The perimeter must be a polygon.")}) from None
            raise InvalidFields(
                {field: _("This polygon cannot be used: %(reason)s.") % {"reason": exc}}
            ) from None
    shape = shapes[0] if len(shapes) == 1 else shapely.union_all(shapes)
    return shape


def territory_shape():
    communes = [p.shape() for p in Perimeter.objects.filter(layer=Layer.COMMUNES)]
    return shapely.union_all(communes) if communes else None


def check_inside_territory(shape, field):
    territory = territory_shape()
    outside = shape if territory is None else shape.difference(territory)
    if not outside.is_empty and geo.area_m2(outside) > TOLERANCE_M2:
        raise InvalidFields({field: _("The perimeter goes outside the community's territory.")})


def shape_from_subsectors(subsectors, field="subsectors"):
    subsectors = list(subsectors)
    if not subsectors:
        raise InvalidFields({field: _("Choose at least one sub-sector.")})
    wrong = [p.code for p in subsectors if p.layer != Layer.SUBSECTORS]
    if wrong:
        raise InvalidFields({field: _("Not a sub-sector: %(codes)s.") % {"codes": ", ".join(wrong)}})
    return shapely.union_all([p.shape() for p in subsectors])


def shape_from_parcels(parcels, owner, field="parcels"):
    parcels = list(parcels)
    if not parcels:
        raise InvalidFields({field: _("Choose at least one parcel.")})
    if owner is not None:
        others = [p.ref for p in parcels if p.owner_id != owner.pk]
        if others:
            raise InvalidFields(
                {
                    field: _("These parcels are not %(owner)s's: %(refs)s.")
                    % {"owner": owner, "refs": ", ".join(others)}
                }
            )
    return shapely.union_all([p.shape() for p in parcels])


def as_geojson(shape):
    if shape.geom_type not in geo.POLYGONAL:  # a union of touching pieces may hold lines: keep the polygons
        shape = shapely.union_all(
            [g for g in getattr(shape, "geoms", [shape]) if g.geom_type in geo.POLYGONAL]
        )
    return geo.geojson_from_shape(shape)


class _Area:
    """What `directory.delegation.compute_shares` needs of a sub-sector: its shape."""

    def __init__(self, shape):
        self._shape = shape

    def shape(self):
        return self._shape


def land_shares(shape, threshold_pct):
    """(shares as JSON, land area in m², delegated manager id or None) for a perimeter."""
    shares, total = delegation.compute_shares(_Area(shape))
    manager = delegation.manager_from(shares, threshold_pct)
    return [share.as_json() for share in shares], round(total, 2), (manager.owner_id if manager else None)


def overlapping(version, shape):
    """Other procedures' active (or suspended) versions whose perimeter overlaps this one."""
    from procedures.sectors.models import SectorVersion, SectorVersionStatus

    minx, miny, maxx, maxy = shape.bounds
    candidates = (
        SectorVersion.objects.filter(
            status__in=[SectorVersionStatus.ACTIVE, SectorVersionStatus.SUSPENDED],
            min_lon__lte=maxx,
            max_lon__gte=minx,
            min_lat__lte=maxy,
            max_lat__gte=miny,
        )
        .exclude(procedure_id=version.procedure_id)
        .select_related("procedure")
    )
    found = []
    for other in candidates:
        piece = other.shape().intersection(shape)
        if not piece.is_empty and geo.area_m2(piece) > TOLERANCE_M2:
            found.append(other)
    return found


def check_no_overlap(version, shape, field="perimeter"):
    found = overlapping(version, shape)
    if found:
        raise InvalidFields(
            {
                field: _(
                    "The perimeter overlaps the active sub-sector procedure(s) %(titles)s on the same land."
                )
                % {"titles": ", ".join(f"« {v.procedure.title} »" for v in found)}
            }
        )
