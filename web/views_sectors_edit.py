"""The administrators' editing pages of a sub-sector procedure: one page per draft version (its perimeter
and zones drawn
on the map or pasted as GeoJSON, split rows, pooled means, service-level overrides, and sending it for
approval) and opening a new version of a procedure from its page. Every form calls the action of
`procedures.sectors` and shows its refusal on the field (nothing saved); read through the scope filter
(out of scope: 404); only administrators may edit (403)."""

import json

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from engine.errors import EngineError
from procedures.sectors import actions, approvals
from procedures.sectors.models import SectorVersionStatus
from web.forms import add_engine_errors
from web.forms_sectors import (
    SectorMeansForm,
    SectorNewVersionForm,
    SectorOverrideForm,
    SectorPerimeterForm,
    SectorSplitForm,
    SectorZoneForm,
)
from web.views_map import map_config
from web.views_sectors import _procedure, sector_detail_response


def _check_editor(user):
    if not actions.may_edit_sector_procedure(user):
        raise PermissionDenied(_("Only administrators may edit sub-sector procedures."))


def _forms(version, data=None, which=None):
    """The four forms of the page; the one named ``which`` bound to ``data``."""

    def bound(name):
        return data if name == which else None

    current = json.dumps(version.geometry) if version.geometry else ""
    return {
        "perimeter": SectorPerimeterForm(
            bound("perimeter"), prefix="perimeter", initial={"geometry": current}
        ),
        "zone": SectorZoneForm(bound("zone"), prefix="zone"),
        "split": SectorSplitForm(bound("split"), version=version, prefix="split"),
        "means": SectorMeansForm(bound("means"), version=version, prefix="means"),
        "override": SectorOverrideForm(bound("override"), prefix="override"),
    }


def _apply(version, which, form, user):
    """Call the action of the bound form; its refusal goes on the form's fields. True when it saved."""
    if not form.is_valid():
        return False
    data = form.cleaned_data
    try:
        if which == "perimeter":
            actions.do_set_sector_perimeter(version, acting_user=user, geometry=data["geometry"])
        elif which == "zone":
            actions.do_add_sector_zone(
                version, acting_user=user, name=data["name"], geometry=data["geometry"]
            )
        elif which == "split":
            actions.do_add_split_row(version, acting_user=user, **data)
        elif which == "means":
            actions.do_set_pooled_means(
                version,
                acting_user=user,
                organisation=data["organisation"],
                unit=data["unit"],
                yearly_capacity=data["yearly_capacity"],
                capacity_unit=data["capacity_unit"],
                categories=list(data["categories"]),
                funding=form.funding(),
            )
        else:
            actions.do_add_service_level_override(version, acting_user=user, **data)
    except EngineError as exc:
        mapping = {"funding": form.first_funding_field()} if which == "means" else {"perimeter": "geometry"}
        add_engine_errors(form, exc, mapping)
        return False
    return True


@login_required
def sector_version_edit(request, code, number):
    procedure = _procedure(request.user, code)
    _check_editor(request.user)
    version = procedure.versions.filter(number=number).first()
    if version is None:
        raise Http404()
    which = request.POST.get("form") if request.method == "POST" else None
    forms = _forms(version, request.POST, which)
    general, status = [], 200
    if request.method == "POST":
        try:
            if which in forms:
                saved = _apply(version, which, forms[which], request.user)
            elif which == "zone-remove":
                zone = version.zones.filter(pk=request.POST.get("zone")).first() or _missing()
                actions.do_remove_sector_zone(zone, acting_user=request.user)
                saved = True
            elif which == "split-remove":
                row = version.split_rows.filter(pk=request.POST.get("row")).first() or _missing()
                actions.do_remove_split_row(row, acting_user=request.user)
                saved = True
            elif which == "means-remove":
                means = version.pooled_means.filter(pk=request.POST.get("means")).first() or _missing()
                actions.do_remove_pooled_means(means, acting_user=request.user)
                saved = True
            elif which == "override-remove":
                override = version.overrides.filter(pk=request.POST.get("override")).first() or _missing()
                actions.do_remove_service_level_override(override, acting_user=request.user)
                saved = True
            elif which == "submit":
                approvals.do_submit_sector_version(version, acting_user=request.user)
                return redirect("sector-detail", code=procedure.code)
            else:
                raise Http404()
        except EngineError as exc:
            general, saved = _messages(exc), False
        if saved:
            return redirect(f"{request.path}#{which.split('-')[0]}-title")
        status = 400
        version.refresh_from_db()
    context = {
        "procedure": procedure,
        "version": version,
        "is_draft": version.status == SectorVersionStatus.DRAFT,
        "zones": version.zones.all(),
        "split": version.split_rows.select_related(
            "unit__organisation", "zone", "category", "category_group"
        ),
        "means": version.pooled_means.select_related("organisation", "unit").prefetch_related(
            "funding__organisation", "categories"
        ),
        "overrides": version.overrides.select_related("category"),
        "forms": forms,
        "general": general,
        "target": which,
        "map_config": map_config(),
    }
    return render(request, "web/sectors/edit.html", context, status=status)


def _missing():
    raise Http404()


def _messages(exc):
    errors = getattr(exc, "errors", None)
    return [str(message) for message in errors.values()] if errors else [str(exc)]


@login_required
@require_POST
def sector_version_open(request, code):
    """Open a new draft version of the procedure (a copy of the latest), then edit it."""
    procedure = _procedure(request.user, code)
    _check_editor(request.user)
    form = SectorNewVersionForm(request.POST, prefix="open")
    if form.is_valid():
        try:
            version = actions.do_open_sector_version(
                procedure,
                acting_user=request.user,
                effective_from=form.cleaned_data["effective_from"],
                reason=form.cleaned_data["reason"],
            )
        except EngineError as exc:
            add_engine_errors(form, exc)
        else:
            return redirect("sector-version-edit", code=procedure.code, number=version.number)
    return sector_detail_response(request, procedure, open_form=form, status=400)
