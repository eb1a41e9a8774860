"""Address search for the filing map: GeoJSON points for a text typed above the map.

Without settings.GEOCODER_URL (embedded mode, works offline) it searches the data the site holds: the
names of the communes and QPV (their outlines' centres) and the demo's street names
(directory.demo.DEMO_STREETS, fictional points, marked ``approximate``). With GEOCODER_URL (e.g. the
national address base's search API, https://api-adresse.data.gouv.fr/search/) it asks that service
(GeoJSON answer with a ``label`` per feature) and gives its points back in the same shape.
The user's own commune comes first. The map is an extra: the latitude and longitude fields still work.
"""

import json
import logging
import unicodedata
from urllib.error import URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from directory.demo import DEMO_STREETS
from directory.models import Layer, Organisation, OrganisationKind, Perimeter

logger = logging.getLogger(__name__)

MAX_RESULTS = 8
MIN_QUERY, MAX_QUERY = 2, 200
TIMEOUT_SECONDS = 5


def folded(text):
    """Lower case without accents or punctuation, for matching "rue nationale" with "Rue Nationale"."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(char for char in decomposed if not unicodedata.combining(char)).lower()
    return " ".join("".join(char if char.isalnum() else " " for char in plain).split())


def point_feature(label, lon, lat, *, kind, commune="", approximate=False, address=""):
    """``address``: what the filing form's address field may take (empty for a commune or a QPV)."""
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
        "properties": {
            "label": label,
            "kind": kind,
            "commune": commune,
            "approximate": approximate,
            "address": address,
        },
    }


def embedded_candidates():
    """Everything the embedded search looks in: (text to match, feature)."""
    candidates = []
    perimeters = Perimeter.objects.filter(layer__in=[Layer.COMMUNES, Layer.QPV]).select_related("commune")
    for perimeter in perimeters.only(
        "layer", "name", "commune__name", "min_lon", "max_lon", "min_lat", "max_lat"
    ):
        commune = perimeter.commune.name if perimeter.commune_id else ""
        lon = (perimeter.min_lon + perimeter.max_lon) / 2
        lat = (perimeter.min_lat + perimeter.max_lat) / 2
        label = perimeter.name if perimeter.layer == Layer.COMMUNES else f"{perimeter.name}, {commune}"
        feature = point_feature(label, lon, lat, kind=perimeter.layer, commune=commune, approximate=True)
        candidates.append((f"{perimeter.name} {commune}", feature))
    communes = dict(
        Organisation.objects.filter(
            kind=OrganisationKind.COMMUNE, code__in={row[0] for row in DEMO_STREETS}
        ).values_list("code", "name")
    )
    for code, street, lon, lat in DEMO_STREETS:
        if code in communes:
            label = _("%(street)s, %(commune)s (fictional position)") % {
                "street": street,
                "commune": communes[code],
            }
            feature = point_feature(
                label, lon, lat, kind="street", commune=communes[code], approximate=True,
                address=f"{street}, {communes[code]}",
            )  # fmt: skip
            candidates.append((f"{street} {communes[code]}", feature))
    return candidates


def embedded_search(query, own_commune=""):
    words = folded(query).split()
    found = [feature for text, feature in embedded_candidates() if all(w in folded(text) for w in words)]
    found.sort(
        key=lambda f: (f["properties"]["commune"] != own_commune, f["properties"]["kind"] != "street",
                       folded(f["properties"]["label"]))
    )  # fmt: skip
    return found[:MAX_RESULTS]


def remote_search(url, query, near=None):
    """Ask the configured geocoder; returns features, raises OSError/ValueError when it fails."""
    params = {"q": query, "limit": MAX_RESULTS}
    if near:
        params["lon"], params["lat"] = near
    separator = "&" if "?" in url else "?"
    remote = Request(url + separator + urlencode(params), headers={"Accept": "application/json"})
    with urlopen(remote, timeout=TIMEOUT_SECONDS) as answer:  # the URL is the settings', not the user's
        payload = json.load(answer)
    features = []
    for item in payload.get("features", [])[:MAX_RESULTS]:
        geometry = item.get("geometry") or {}
        props = item.get("properties") or {}
        if geometry.get("type") != "Point":
            continue
        lon, lat = (float(value) for value in geometry["coordinates"][:2])
        label = str(props.get("label") or props.get("name") or "")
        city = str(props.get("city", ""))
        features.append(point_feature(label, lon, lat, kind="address", commune=city, address=label))
    return features


def own_commune(user):
    """The user's commune perimeter (for a commune's user), else None."""
    organisation = getattr(user, "organisation", None)
    if organisation is None or organisation.kind != OrganisationKind.COMMUNE:
        return None
    return Perimeter.objects.filter(layer=Layer.COMMUNES, commune=organisation).first()


@login_required
@require_GET
def address_search(request):
    """GeoJSON FeatureCollection of the places matching ?q= (properties: label, kind, commune)."""
    query = " ".join(request.GET.get("q", "").split())
    if not MIN_QUERY <= len(query) <= MAX_QUERY:
        message = _("Type between %(min)d and %(max)d characters.") % {"min": MIN_QUERY, "max": MAX_QUERY}
        return JsonResponse({"detail": message}, status=400)
    commune = own_commune(request.user)
    url = getattr(settings, "GEOCODER_URL", "")
    if url:
        near = None
        if commune is not None:
            near = (
                round((commune.min_lon + commune.max_lon) / 2, 5),
                round((commune.min_lat + commune.max_lat) / 2, 5),
            )
        try:
            features = remote_search(url, query, near)
        except (OSError, URLError, ValueError, KeyError, TypeError) as error:
            logger.warning("address search: the geocoder failed (%s)", type(error).__name__)
            return JsonResponse(
                {"detail": _("The address search is unavailable; place the point on the map.")}, status=502
            )
    else:
        features = embedded_search(query, request.user.organisation.name if commune is not None else "")
    return JsonResponse({"type": "FeatureCollection", "features": features})
