"""Geometry helpers: GeoJSON (WGS84) in and out, Lambert-93 (EPSG:2154) for areas and distances."""

from functools import lru_cache

import shapely
from pyproj import Transformer
from shapely.geometry import mapping, shape

WGS84 = "EPSG:4326"
LAMBERT93 = "EPSG:2154"
POLYGONAL = ("Polygon", "MultiPolygon")


class GeometryError(ValueError):
    """A geometry that cannot be used, with the reason in plain words."""


@lru_cache(maxsize=2)
def _transformer(source, target):
    return Transformer.from_crs(source, target, always_xy=True)


def shape_from_geojson(geojson, *, kinds=POLYGONAL, text=None):
    """A checked shapely geometry from a GeoJSON geometry (a dict); `text`: the same serialised, if at hand
    (parsed by GEOS, much faster than from the dict; anything GEOS refuses is read from the dict)."""
    if not isinstance(geojson, dict) or "type" not in geojson:
        raise GeometryError("geometry must be a GeoJSON object with a type")
    if kinds and geojson["type"] not in kinds:
        raise GeometryError(
            f"geometry type {geojson['type']} is not allowed here (expected {', '.join(kinds)})"
        )
    geom = None
    if text is not None:
        try:
            geom = shapely.from_geojson(text)
        except Exception:  # e.g. an unclosed ring, which shape() closes
            geom = None
        if geom is not None and geom.geom_type != geojson["type"]:
            geom = None
    if geom is None:
        try:
            geom = shape(geojson)
        except Exception as exc:  # shapely raises several types for malformed coordinates
            raise GeometryError(f"malformed coordinates ({exc})") from None
    if geom.is_empty:
        raise GeometryError("geometry is empty")
    if not geom.is_valid:
        raise GeometryError(f"invalid geometry: {shapely.is_valid_reason(geom)}")
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise GeometryError("coordinates are not WGS84 longitude/latitude")
    return geom


def geojson_from_shape(geom):
    return _plain(mapping(geom))


def _plain(value):
    """shapely's mapping() returns tuples; JSON columns want lists."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def to_lambert93(geom):
    return shapely.transform(geom, _transformer(WGS84, LAMBERT93).transform, interleaved=False)


def area_m2(geom):
    """Area in square metres of a WGS84 geometry, computed in Lambert-93."""
    return to_lambert93(geom).area


def areas_m2(geoms):
    """Areas in square metres of many WGS84 geometries, projected in one call."""
    import numpy as np

    array = np.asarray(list(geoms), dtype=object)
    if not len(array):
        return np.zeros(0)
    return shapely.area(shapely.transform(array, _transformer(WGS84, LAMBERT93).transform, interleaved=False))


def point_lambert93(lon, lat):
    return _transformer(WGS84, LAMBERT93).transform(lon, lat)


def distance_m(lon1, lat1, lon2, lat2):
    x1, y1 = point_lambert93(lon1, lat1)
    x2, y2 = point_lambert93(lon2, lat2)
    return ((x1 - x2) ** 2 + (y1 - y2) ** 2) ** 0.5
