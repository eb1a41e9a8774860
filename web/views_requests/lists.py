"""Request pages: the list with its filters, and its points for the map."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from engine.models import AlertState
from procedures.models import Urgency, current_language
from web import queries
from web.forms import (
    RequestFilterForm,
)
from web.labels import annotate_states, localized
from web.nav import profile_of
from web.views_map import map_config
from web.views_requests._common import MAX_POINTS, PAGE_SIZE, is_htmx


# --- lists ---------------------------------------------------------------------------------------------
def state_choices():
    version = queries.published_version()
    if version is None:
        return []
    return [(code, localized(spec.get("label"), code)) for code, spec in version.definition["states"].items()]


def filtered_requests(request):
    """The visible requests filtered by the query string; returns (form, queryset)."""
    user = request.user
    profile = profile_of(user)
    form = RequestFilterForm(request.GET or None, states=state_choices(), show_commune=not profile.is_commune)
    requests = queries.visible(user)
    data = form.cleaned_data if form.is_valid() else {}
    status = data.get("status") or "open"
    if status == "open":
        requests = requests.filter(closed_at__isnull=True)
    elif status == "closed":
        requests = requests.filter(closed_at__isnull=False)
    if data.get("q"):
        requests = requests.filter(queries.search_q(data["q"]))
    if data.get("state"):
        requests = requests.filter(case__state=data["state"])
    if data.get("category"):
        requests = requests.filter(category__code=data["category"])
    if data.get("urgency"):
        requests = requests.filter(urgency=data["urgency"])
    if data.get("commune"):
        requests = requests.filter(commune=data["commune"])
    if data.get("overdue"):
        requests = requests.filter(queries.overdue_q())
    if data.get("unjustified"):
        requests = requests.filter(urgency_requested=Urgency.URGENT, urgency_justified=False)
    if data.get("alert"):
        states = {
            "raised": [AlertState.RAISED],
            "answered": [AlertState.ANSWERED],
            "open": [AlertState.RAISED, AlertState.ANSWERED],
        }[data["alert"]]
        requests = requests.filter(queries.open_alert_q(states))
    return form, requests


def page_of(request, queryset, count=None, capped=False):
    """One page of the queryset (``count``: the total when already known, saving a COUNT query). The
    total is counted up to queries.COUNT_CAP: past it the page says "more than" (``count_capped``) and
    its pages stop there, so a page's cost does not grow with the table; the filters narrow it."""
    paginator = Paginator(queryset, PAGE_SIZE)
    if count is None:
        count = queries.capped_count(queryset)
        capped = count > queries.COUNT_CAP
    paginator.__dict__["count"] = min(count, queries.COUNT_CAP)
    page = paginator.get_page(request.GET.get("page"))
    page.count_capped = capped
    page.count_cap = queries.COUNT_CAP
    annotate_states(page.object_list)
    return page


def query_without_page(request):
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@login_required
@require_GET
def request_list(request):
    form, requests = filtered_requests(request)
    sort_key, descending = queries.parse_sort(request.GET.get("sort"))
    page = page_of(request, queries.sorted_by(requests, sort_key, descending))
    context = {
        "form": form,
        "page": page,
        "query": query_without_page(request),
        "headers": queries.table_headers(request.GET, sort_key, descending),
        "sort": request.GET.get("sort", ""),
        "map_config": map_config(),
        "points_url": reverse("request-points") + ("?" + request.GET.urlencode() if request.GET else ""),
    }
    if is_htmx(request) and request.headers.get("HX-Target") == "request-results":
        return render(request, "web/requests/_results.html", context)
    return render(request, "web/requests/list.html", context)


@login_required
@require_GET
def request_points(request):
    """The same filtered requests as GeoJSON points (at most MAX_POINTS, newest first)."""
    _form, requests = filtered_requests(request)
    rows = requests.order_by("-created_at", "-id").values_list(
        "reference", "lon", "lat", "urgency", "category__name", "category__name_en", "description"
    )[:MAX_POINTS]
    english = current_language() == "en"
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {
                "label": f"{reference} · {category}",
                "name": f"{reference} · {category}",
                "status": description[:80],
                "urgent": urgency == Urgency.URGENT,
                "url": reverse("request-detail", args=[reference]),
                "linkText": _("Open the request"),
            },
        }
        for reference, lon, lat, urgency, name, name_en, description in rows
        for category in [(name_en if english else "") or name]
    ]
    return JsonResponse({"type": "FeatureCollection", "features": features})
