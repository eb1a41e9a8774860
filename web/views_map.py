"""The territory map: perimeters (communes, QPV, CTC sectors, management zones, sub-sectors) and landlords'
land, drawn by Leaflet as vector layers on a plain background (or on the tiles of settings.MAP_TILE_URL)."""

import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from directory import delegation, land
from directory.models import Layer, Organisation, OrganisationKind, Parcel, Perimeter

LANDLORD_LAND = "landlord_land"
PERIMETERS_PER_PAGE = 50
# The colours of map.js's STYLES, for the legend.
LAYER_COLOURS = {
    Layer.COMMUNES: "#4a4a4a",
    Layer.QPV: "#b3261e",
    Layer.SECTORS: "#00589b",
    Layer.ZONES: "#6b3fa0",
    Layer.SUBSECTORS: "#c25e00",
    LANDLORD_LAND: "#1b7a3a",
}


def map_config(focus=None):
    """What the map script needs, for every page with a map (see web/static/web/map.js).

    ``focus``: a perimeter the map opens on and outlines (the filing map: the user's commune)."""
    config = {
        "tileUrl": getattr(settings, "MAP_TILE_URL", ""),
        "tileAttribution": getattr(settings, "MAP_TILE_ATTRIBUTION", ""),
    }
    if focus is not None:
        config["focus"] = {
            "layer": focus.layer,
            "code": focus.code,
            "name": focus.name,
            "bounds": [[focus.min_lat, focus.min_lon], [focus.max_lat, focus.max_lon]],
        }
    return config


def _bbox(request):
    """Optional ?bbox=min_lon,min_lat,max_lon,max_lat; None when absent, ValueError when malformed."""
    raw = request.GET.get("bbox")
    if not raw:
        return None
    parts = [float(part) for part in raw.split(",")]
    if len(parts) != 4 or not (parts[0] <= parts[2] and parts[1] <= parts[3]):
        raise ValueError
    return parts


def _in_bbox(queryset, bbox):
    if bbox is None:
        return queryset
    min_lon, min_lat, max_lon, max_lat = bbox
    return queryset.filter(
        max_lon__gte=min_lon, min_lon__lte=max_lon, max_lat__gte=min_lat, min_lat__lte=max_lat
    )


def perimeter_feature(perimeter):
    properties = {
        "layer": perimeter.layer,
        "layerLabel": perimeter.get_layer_display(),
        "code": perimeter.code,
        "name": perimeter.name,
        "commune": perimeter.commune.name if perimeter.commune_id else "",
        "unit": perimeter.unit.name if perimeter.unit_id else "",
        "areaHa": round(perimeter.area_m2 / 10_000, 2),
    }
    if perimeter.layer == Layer.SUBSECTORS:
        manager = perimeter.delegated_manager
        properties["delegatedManager"] = (
            _("Delegated manager: %(name)s") % {"name": manager.name}
            if manager
            else _("No delegated manager")
        )
        properties["shares"] = shares_text(perimeter.land_shares)
    return {"type": "Feature", "geometry": perimeter.geometry, "properties": properties}


def shares_text(land_shares):
    """The owners' shares of a sub-sector's land, as one line ("Landlord 72 %, private owners 28 %")."""
    parts = []
    for share in land_shares or []:
        name = share.get("owner_name") or _("private owners")
        parts.append(f"{name} {number_format(share.get('share_pct', 0), 1)} %")
    return ", ".join(parts)


def parcel_feature(parcel, owner_names=None):
    owner_name = owner_names[parcel.owner_at] if owner_names is not None else parcel.owner.name
    properties = {
        "layer": LANDLORD_LAND,
        "layerLabel": _("Landlords' land"),
        "code": parcel.ref,
        "name": parcel.ref,
        "owner": owner_name,
        "domain": parcel.get_domain_display(),
        "areaHa": round(parcel.area_m2 / 10_000, 2),
    }
    return {"type": "Feature", "geometry": parcel.geometry, "properties": properties}


def layer_choices():
    return [*Layer.choices, (LANDLORD_LAND, _("Landlords' land"))]


@login_required
@require_GET
def map_layers(request):
    """GeoJSON FeatureCollection of the territory layers (?layer= to pick some, ?bbox= to crop)."""
    known = dict(layer_choices())
    wanted = request.GET.getlist("layer") or list(known)
    unknown = [layer for layer in wanted if layer not in known]
    if unknown:
        return JsonResponse(
            {"detail": _("Unknown layer: %(layers)s.") % {"layers": ", ".join(unknown)}}, status=400
        )
    try:
        bbox = _bbox(request)
    except ValueError:
        return JsonResponse(
            {"detail": _("bbox must be four numbers: min_lon,min_lat,max_lon,max_lat.")}, status=400
        )
    features = []
    perimeter_layers = [layer for layer in wanted if layer != LANDLORD_LAND]
    if perimeter_layers:
        perimeters = Perimeter.objects.filter(layer__in=perimeter_layers).select_related(
            "commune", "unit", "delegated_manager"
        )
        features += [perimeter_feature(perimeter) for perimeter in _in_bbox(perimeters, bbox)]
    try:
        day = _day(request)
    except ValueError:
        return JsonResponse({"detail": _("Enter a date as YYYY-MM-DD.")}, status=400)
    if LANDLORD_LAND in wanted:
        landlords = _landlord_names()
        parcels = land.parcels_with_owner_on(day).filter(owner_at__in=list(landlords))
        features += [parcel_feature(parcel, landlords) for parcel in _in_bbox(parcels, bbox)]
    return JsonResponse({"type": "FeatureCollection", "features": features})


def _day(request):
    """?at=YYYY-MM-DD: the day whose owners the map shows (default today); ValueError when malformed."""
    raw = request.GET.get("at")
    return datetime.date.fromisoformat(raw) if raw else land.as_day()


def _landlord_names():
    return dict(Organisation.objects.filter(kind=OrganisationKind.LANDLORD).values_list("id", "name"))


def present_layers():
    """The layers that hold something, in the legend's order: (code, label, colour)."""
    stored = set(Perimeter.objects.values_list("layer", flat=True).distinct())
    if Parcel.objects.filter(owner__kind=OrganisationKind.LANDLORD).exists():
        stored.add(LANDLORD_LAND)
    return [(code, label, LAYER_COLOURS[code]) for code, label in layer_choices() if code in stored]


@login_required
@require_GET
def map_page(request):
    """The map with its legend, and its content as text for those who do not use the map: the
    perimeters, and the landlords' land summed up per landlord (the parcels themselves are on the map
    and in export_geojson; listing thousands of them made a page of several metres)."""
    perimeters = Perimeter.objects.select_related("commune", "unit", "delegated_manager").defer("geometry")
    try:
        day, date_error = _day(request), None
    except ValueError:
        day, date_error = land.as_day(), _("Enter a date as YYYY-MM-DD.")
    landlords = _landlord_names()
    totals = (
        land.parcels_with_owner_on(day)
        .filter(owner_at__in=list(landlords))
        .values("owner_at")
        .annotate(parcels=Count("id"), area_m2=Sum("area_m2"))
        .order_by()
    )
    landlord_land = sorted(
        ({"owner__name": landlords[row["owner_at"]], **row} for row in totals),
        key=lambda row: row["owner__name"],
    )
    names = dict(Organisation.objects.values_list("id", "name"))
    subsectors = []
    for perimeter in perimeters.filter(layer=Layer.SUBSECTORS):
        manager_id, shares = delegation.state_on(perimeter, day)
        subsectors.append((perimeter, names.get(manager_id), shares_text(shares)))
    at_param = request.GET.get("at", "") if date_error is None else ""
    layers_url = reverse("map-layers") + (f"?{urlencode({'at': at_param})}" if at_param else "")
    return render(
        request,
        "web/map.html",
        {
            "map_config": map_config(),
            "layers": present_layers(),
            "landlord_land": landlord_land,
            "perimeters": Paginator(perimeters, PERIMETERS_PER_PAGE).get_page(request.GET.get("page")),
            "subsectors": subsectors,
            "day": day,
            "date_error": date_error,
            "layers_url": layers_url,
        },
    )
