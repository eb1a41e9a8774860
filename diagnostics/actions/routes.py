"""Routes recorded by a phone's GPS during the walk: kept once per client identifier, checked (a sane
number of points, each in or near the commune), and made the diagnostic's route."""

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from shapely import prepared
from shapely.geometry import LineString, Point
from shapely.ops import unary_union

from diagnostics.models import Diagnostic, RouteTrack
from directory import geo
from directory.models import Layer, Perimeter
from engine.errors import InvalidFields

from ._common import audit, check, event
from .diagnostics import MAX_ROUTE_POINTS
from .findings import FAR_M, RECORDING, clean_client_id, may_record_finding

may_record_route = may_record_finding


def _number(value):
    if isinstance(value, bool):
        raise ValueError
    return float(str(value).replace(",", "."))


def _coordinates(points, errors):
    """[[lon, lat], ...] rounded to the micro-degree, repeats of the same place dropped."""
    if not isinstance(points, (list, tuple)):
        errors["points"] = _("The points must be a list of [longitude, latitude] pairs.")
        return []
    if len(points) > MAX_ROUTE_POINTS:
        errors["points"] = _("The route has more than %(n)d points.") % {"n": MAX_ROUTE_POINTS}
        return []
    coordinates = []
    for n, point in enumerate(points, 1):
        try:
            if isinstance(point, dict):
                lon, lat = _number(point["lon"]), _number(point["lat"])
            elif isinstance(point, (list, tuple)) and len(point) >= 2:
                lon, lat = _number(point[0]), _number(point[1])
            else:
                raise ValueError
        except (KeyError, TypeError, ValueError):
            lon = lat = None
        if lon is None or not (-180 <= lon <= 180 and -90 <= lat <= 90):
            errors["points"] = _("Point %(n)d is not a [longitude, latitude] pair in WGS84 degrees.") % {
                "n": n
            }
            return []
        here = [round(lon, 6), round(lat, 6)]
        if not coordinates or coordinates[-1] != here:
            coordinates.append(here)
    if len(coordinates) < 2:
        errors["points"] = _("A route needs at least two different points.")
        return []
    return coordinates


def _near_the_commune(diagnostic, coordinates, errors):
    outlines = Perimeter.objects.filter(layer=Layer.COMMUNES, commune_id=diagnostic.commune_id)
    shapes = [geo.to_lambert93(geo.shape_from_geojson(p.geometry)) for p in outlines]
    if not shapes:
        return
    near = prepared.prep(unary_union(shapes).buffer(FAR_M))
    for n, (lon, lat) in enumerate(coordinates, 1):
        if not near.contains(Point(*geo.point_lambert93(lon, lat))):
            errors["points"] = _(
                "Point %(n)d is far outside %(commune)s (more than %(far)d m): the route is not kept."
            ) % {"n": n, "commune": diagnostic.commune.name, "far": FAR_M}
            return


def _moment(value, name, errors):
    if value in (None, ""):
        return timezone.now()
    if isinstance(value, str):
        try:
            value = parse_datetime(value.strip())
        except ValueError:  # well formed but impossible (a 13th month)
            value = None
    if not isinstance(value, datetime.datetime) or timezone.is_naive(value):
        errors[name] = _("Give the time with its offset (ISO 8601).")
        return None
    if value > timezone.now() + datetime.timedelta(hours=1):
        errors[name] = _("This time is in the future.")
    return value


def do_record_route_track(diagnostic, *, acting_user, client_id, points, started_at=None, ended_at=None):
    """Keep a route recorded by a phone and make it the diagnostic's route; returns (track, created). The
    same client identifier again is a harmless no-op that returns the track already kept."""
    check(may_record_route(acting_user, diagnostic), _("You do not take part in this diagnostic."))
    client_id = clean_client_id(client_id)
    existing = RouteTrack.objects.filter(diagnostic=diagnostic, client_id=client_id).first()
    if existing is not None:
        return existing, False
    diagnostic = Diagnostic.objects.select_related("commune").get(pk=diagnostic.pk)
    if diagnostic.status not in RECORDING:
        raise InvalidFields(
            {
                "diagnostic": _(
                    "The route is recorded while the diagnostic is in the field (it is %(status)s)."
                )
                % {"status": diagnostic.get_status_display()}
            }
        )
    errors = {}
    coordinates = _coordinates(points, errors)
    if coordinates:
        _near_the_commune(diagnostic, coordinates, errors)
    started_at = _moment(started_at, "started_at", errors)
    ended_at = _moment(ended_at, "ended_at", errors)
    if started_at and ended_at and ended_at < started_at:
        errors["ended_at"] = _("The end comes before the start.")
    if errors:
        raise InvalidFields(errors)
    line = {"type": "LineString", "coordinates": coordinates}
    length_m = round(geo.to_lambert93(LineString(coordinates)).length, 1)
    try:
        with transaction.atomic():
            locked = Diagnostic.objects.select_for_update().get(pk=diagnostic.pk)
            track = RouteTrack.objects.create(
                diagnostic=locked,
                client_id=client_id,
                line=line,
                points_count=len(coordinates),
                length_m=length_m,
                started_at=started_at,
                ended_at=ended_at,
                recorded_by=acting_user,
            )
            replaced = len(locked.route["coordinates"]) if locked.route else 0
            locked.route, locked.route_length_m = line, length_m
            locked.save(update_fields=["route", "route_length_m"])
            audit(
                "route_recorded",
                f"diagnostic:{locked.pk}/track:{track.pk}",
                acting_user,
                client_id=client_id,
                points=len(coordinates),
                length_m=length_m,
                replaced_points=replaced,
            )
            event("route_recorded", diagnostic=locked.pk, track=track.pk)
    except IntegrityError:
        # the same track sent twice at once: the other request kept it
        existing = RouteTrack.objects.filter(diagnostic=diagnostic, client_id=client_id).first()
        if existing is None:
            raise
        return existing, False
    return track, True
