"""Request pages: filing (the form, its category fields, similar requests) and following a request."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import actions as account_actions
from engine.errors import EngineError
from procedures import actions
from procedures.attributes import parse_number
from procedures.duplicates import duplicate_candidates
from procedures.models import Category
from web import queries
from web.forms import (
    FileRequestForm,
    add_engine_errors,
)
from web.labels import annotate_states
from web.views_geocode import own_commune
from web.views_map import map_config
from web.views_requests._common import error_status


# --- filing --------------------------------------------------------------------------------------------
def chosen_category(code):
    if not code:
        return None
    return Category.objects.filter(code=code, is_active=True).select_related("group").first()


def candidates_for(user, category, lon, lat):
    """Duplicate candidates the user may see (the scope filter applies here too)."""
    if category is None or lon is None or lat is None:
        return []
    try:
        lon, lat = parse_number(lon), parse_number(lat)
    except (TypeError, ValueError):
        return []
    found = duplicate_candidates(category, lon, lat, queryset=queries.visible(user))[:5]
    return annotate_states(list(found))


@login_required
@require_http_methods(["GET", "POST"])
def request_new(request):
    """File a request. Without JavaScript, "Show the fields of this category" reloads the form with the
    category's attributes and urgency criteria; with htmx, choosing the category does it in place."""
    data = request.POST if request.method == "POST" else request.GET
    category = chosen_category(data.get("category"))
    filing = request.method == "POST" and "file" in request.POST
    form = FileRequestForm(
        request.POST if filing else None,
        request.FILES if filing else None,
        category=category,
        initial={key: value for key, value in data.items() if key != "csrfmiddlewaretoken"},
    )
    status = 200
    if filing and form.is_valid():
        try:
            filed = account_actions.do_file_request_marking(
                acting_user=request.user,
                personal_data=form.cleaned_data["personal_data"],
                category=category,
                description=form.cleaned_data["description"],
                lon=form.cleaned_data["lon"],
                lat=form.cleaned_data["lat"],
                address=form.cleaned_data["address"],
                urgency=form.cleaned_data["urgency"],
                urgency_criteria=form.cleaned_data.get("urgency_criteria", []),
                attributes=form.attribute_values(),
                files=form.cleaned_data["photos"],
            )
        except EngineError as error:
            add_engine_errors(form, error, {"files": "photos"})
            status = error_status(error)
        else:
            messages.success(request, _("Your request %(ref)s was filed.") % {"ref": filed.reference})
            return redirect("request-detail", filed.reference)
    elif filing:
        status = 400
    if filing and category is None and not form.has_error("category"):
        form.add_error("category", _("Choose a category."))
    context = {
        "form": form,
        "category": category,
        "map_config": map_config(focus=own_commune(request.user)),
        "candidates": candidates_for(request.user, category, data.get("lon"), data.get("lat")),
    }
    return render(request, "web/requests/new.html", context, status=status)


@login_required
@require_GET
def request_new_category_fields(request):
    """htmx: the chosen category's attributes and urgency criteria, for the filing form."""
    form = FileRequestForm(category=chosen_category(request.GET.get("category")))
    return render(request, "web/requests/_category_fields.html", {"form": form, "category": form.category})


@login_required
@require_GET
def request_new_duplicates(request):
    """htmx: possible duplicates near the point, shown before filing."""
    category = chosen_category(request.GET.get("category"))
    candidates = candidates_for(request.user, category, request.GET.get("lon"), request.GET.get("lat"))
    return render(request, "web/requests/_duplicates.html", {"candidates": candidates, "category": category})


@login_required
@require_POST
def request_follow(request, reference):
    """Follow an existing request instead of filing a new one."""
    target = get_object_or_404(queries.visible(request.user), reference=reference)
    try:
        actions.do_follow_request(target, acting_user=request.user)
    except EngineError as error:
        messages.error(request, str(error))
        return redirect("request-new")
    messages.success(
        request,
        _("Your commune now follows %(ref)s: you will receive its messages.") % {"ref": target.reference},
    )
    return redirect("request-detail", target.reference)
