"""The CLECT group pages of the "Sub-sector procedures" section: the list of groups (an administrator
creates one there), one group (its dated members, the figures of a year per actor, per commune and per
member, an administrator adds and ends memberships there) and its CSV / XLSX export. Read through
`procedures.sectors.scope.clect_groups_visible_to` (out of scope: 404), written through
`procedures.sectors.clect`."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from engine.errors import EngineError
from procedures.sectors import clect
from procedures.sectors.clect_figures import export_headers, export_rows, group_figures, years_of
from procedures.sectors.scope import (
    clect_groups_visible_to,
    clect_member_prefetches,
    sector_procedures_visible_to,
)
from web.exports import FORMATS, table_response
from web.forms import add_engine_errors
from web.forms_clect import ClectEndForm, ClectGroupForm, ClectMemberForm, ClectYearForm


def _group(user, code):
    group = clect_groups_visible_to(user).filter(code=code).first()
    if group is None:
        raise Http404()
    return group


def _editor(user):
    return clect.may_edit_clect_group(user)


@login_required
def clect_list(request):
    can_edit = _editor(request.user)
    form = ClectGroupForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied(_("Only administrators may edit CLECT groups."))
        if form.is_valid():
            try:
                group = clect.do_create_clect_group(acting_user=request.user, **form.cleaned_data)
            except EngineError as exc:
                add_engine_errors(form, exc)
            else:
                return redirect("sector-clect-detail", code=group.code)
        status = 400
    groups = clect_groups_visible_to(request.user).prefetch_related(*clect_member_prefetches())
    return render(
        request,
        "web/sectors/clect_list.html",
        {"groups": groups, "form": form if can_edit else None},
        status=status,
    )


def _member_form(user, data=None):
    return ClectMemberForm(data, procedures=sector_procedures_visible_to(user), prefix="add")


@login_required
def clect_detail(request, code):
    group = _group(request.user, code)
    can_edit = _editor(request.user)
    year_form = ClectYearForm(request.GET or None)
    member_form, end_forms, status = _member_form(request.user), {}, 200
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied(_("Only administrators may edit CLECT groups."))
        if "end" in request.POST:
            membership = group.memberships.filter(pk=request.POST.get("end")).first()
            if membership is None:
                raise Http404()
            form = ClectEndForm(request.POST, prefix=f"end-{membership.pk}")
            if form.is_valid():
                try:
                    clect.do_end_clect_membership(
                        membership, acting_user=request.user, ends_on=form.cleaned_data["ends_on"]
                    )
                except EngineError as exc:
                    add_engine_errors(form, exc)
                else:
                    return redirect("sector-clect-detail", code=group.code)
            end_forms[membership.pk] = form
        else:
            member_form = _member_form(request.user, request.POST)
            if member_form.is_valid():
                try:
                    clect.do_add_clect_member(group, acting_user=request.user, **member_form.cleaned_data)
                except EngineError as exc:
                    add_engine_errors(member_form, exc, {"member": "perimeter"})
                else:
                    return redirect("sector-clect-detail", code=group.code)
        status = 400
    elif year_form.is_bound and not year_form.is_valid():
        status = 400
    year = year_form.chosen_year()
    figures = group_figures(group, year)
    memberships = []
    for membership in group.memberships.select_related("perimeter", "procedure").order_by("starts_on", "pk"):
        form = end_forms.get(membership.pk) or ClectEndForm(prefix=f"end-{membership.pk}")
        memberships.append((membership, form))
    return render(
        request,
        "web/sectors/clect_detail.html",
        {
            "group": group,
            "memberships": memberships,
            "figures": figures,
            "years": years_of(group),
            "year": year,
            "year_form": year_form,
            "member_form": member_form if can_edit else None,
            "can_edit": can_edit,
        },
        status=status,
    )


@login_required
@require_GET
def clect_export(request, code, fmt):
    if fmt not in FORMATS:
        raise Http404(_("Unknown export format: choose csv or xlsx."))
    group = _group(request.user, code)
    year_form = ClectYearForm(request.GET or None)
    if year_form.is_bound and not year_form.is_valid():
        return HttpResponseBadRequest(_("Year: %(error)s") % {"error": " ".join(year_form.errors["year"])})
    year = year_form.chosen_year()
    figures = group_figures(group, year)
    return table_response(
        fmt,
        export_headers(),
        export_rows(group, figures),
        name_parts=["clect", group.code, str(year)],
        title=f"CLECT {year}",
    )
