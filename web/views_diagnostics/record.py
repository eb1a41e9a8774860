"""The phone's page (record findings, offline first) and the service worker that keeps it usable without
network. The worker is served here, under /diagnostics/, so that its scope covers the recording pages."""

import json

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_GET

from diagnostics.models import GridItem

from ..views_map import map_config
from .common import focus_of, visible_diagnostic_or_404

CACHE_VERSION = "gup-diagnostics-v2"
STATIC_FILES = [
    "web/gup.css",
    "web/js-on.js",
    "web/vendor/htmx/htmx.min.js",
    "web/vendor/leaflet/leaflet.css",
    "web/vendor/leaflet/leaflet.js",
    "web/map.js",
    "web/diagnostics-record.js",
    "web/favicon.svg",
]


@login_required
def diagnostic_record(request, pk):
    diagnostic = visible_diagnostic_or_404(request.user, pk)
    items = GridItem.objects.filter(theme__version=diagnostic.grid_version).select_related("theme")
    themes = {}
    for item in items.order_by("theme__position", "position"):
        themes.setdefault(item.theme, []).append(item)
    config = {
        "diagnostic": diagnostic.pk,
        "findingsUrl": reverse("api:diagnostic-findings", args=[diagnostic.pk]),
        "tracksUrl": reverse("api:diagnostic-route-tracks", args=[diagnostic.pk]),
        "route": diagnostic.route,
        "workerUrl": reverse("diagnostic-service-worker"),
        "cacheName": CACHE_VERSION,
    }
    context = {
        "diagnostic": diagnostic,
        "themes": list(themes.items()),
        "scale": diagnostic.grid_version.scale,
        "record_config": config,
        "map_config": map_config(focus=focus_of(diagnostic)),
        "recording": diagnostic.status in ("in_field", "under_analysis"),
    }
    return render(request, "web/diagnostics/record.html", context)


@require_GET
def service_worker(request):
    """The service worker: caches the site's static files and each recording page it is given, so that a
    page opened once keeps opening without network; it never touches writes (the page keeps findings in
    IndexedDB and sends them itself)."""
    body = render_to_string(
        "web/diagnostics/sw.js",
        {
            "cache_name": json.dumps(CACHE_VERSION),
            "static_urls": json.dumps([static(path) for path in STATIC_FILES]),
        },
    )
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/diagnostics/"
    response["Cache-Control"] = "no-cache"
    return response
