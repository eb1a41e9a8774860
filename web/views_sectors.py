"""Pages of the sub-sector procedures: the list, one procedure (map with zones and its legend, the split
table saying everything the map shows, coverage of the catalogue, pooled means, versions, approvals,
evaluations) and each partner's inbox of approvals and evaluations to give. Read through
`procedures.sectors.scope` (out of scope: 404), written through the actions of `procedures.sectors`."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseForbidden, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from engine.errors import EngineError, InvalidFields, RoleNotAllowed
from procedures.sectors import actions, approvals, evaluations, figures
from procedures.sectors.models import EvaluationDecision
from procedures.sectors.scope import (
    sector_approvals_visible_to,
    sector_evaluations_visible_to,
    sector_procedures_visible_to,
)
from web.forms import SectorProcedureForm, add_engine_errors
from web.nav import profile_of
from web.views_map import map_config


def _procedure(user, code):
    procedure = sector_procedures_visible_to(user).filter(code=code).first()
    if procedure is None:
        raise Http404()
    return procedure


def _current(procedure):
    versions = list(procedure.versions.select_related("delegated_manager", "intervention_version__procedure"))
    active = [v for v in versions if v.status == "active"]
    return (active[-1] if active else versions[-1]), versions


@login_required
def sector_list(request):
    procedures = sector_procedures_visible_to(request.user).prefetch_related(
        "versions__partners__organisation"
    )
    rows = []
    for procedure in procedures.order_by("title"):
        versions = list(procedure.versions.all())
        latest = versions[-1] if versions else None
        rows.append(
            {
                "procedure": procedure,
                "version": latest,
                "partners": [p.organisation.name for p in latest.partners.all()] if latest else [],
            }
        )
    can_create = profile_of(request.user).is_admin
    return render(request, "web/sectors/list.html", {"rows": rows, "can_create": can_create})


def _evaluation_rows(evaluation):
    year, before = evaluation.figures.get("year", {}), evaluation.figures.get("before", {})
    labels = [
        ("requests", _("Requests")),
        ("done", _("Done")),
        ("urgent", _("Filed urgent")),
        ("unjustified_urgencies", _("Unjustified urgencies")),
        ("reopen_rate_pct", _("Reopen rate (%)")),
    ]
    rows = [(label, before.get(key), year.get(key)) for key, label in labels]
    for kind, label in (
        ("acknowledge", _("Acknowledged on time (%)")),
        ("resolve", _("Resolved on time (%)")),
    ):
        rows.append(
            (
                label,
                (before.get(kind) or {}).get("share_on_time_pct"),
                (year.get(kind) or {}).get("share_on_time_pct"),
            )
        )
        rows.append(
            (
                _("%(what)s: mean delay (hours)") % {"what": label.split(" (")[0]},
                (before.get(kind) or {}).get("mean_hours"),
                (year.get(kind) or {}).get("mean_hours"),
            )
        )
    categories = sorted(set(year.get("by_category", {})) | set(before.get("by_category", {})))
    for name in categories:
        rows.append(
            (
                _("Requests « %(name)s »") % {"name": name},
                before.get("by_category", {}).get(name, 0),
                year.get("by_category", {}).get(name, 0),
            )
        )
    actors = sorted(set(year.get("by_actor", {})) | set(before.get("by_actor", {})))
    for name in actors:
        rows.append(
            (
                _("Handled by %(name)s") % {"name": name},
                before.get("by_actor", {}).get(name, 0),
                year.get("by_actor", {}).get(name, 0),
            )
        )
    return rows


@login_required
def sector_detail(request, code):
    return sector_detail_response(request, _procedure(request.user, code))


def sector_detail_response(request, procedure, open_form=None, status=200):
    """The page of one procedure; ``open_form``: the new-version form with its errors (administrators)."""
    from web.forms_sectors import SectorNewVersionForm

    version, versions = _current(procedure)
    can_edit = actions.may_edit_sector_procedure(request.user)
    preparing = next((v for v in versions if v.status in ("draft", "in_approval")), None)
    if can_edit and preparing is None and open_form is None:
        open_form = SectorNewVersionForm(prefix="open")
    split = version.split_rows.select_related("unit__organisation", "zone", "category", "category_group")
    means = [
        (item, figures.consumption(item))
        for item in version.pooled_means.select_related("organisation", "unit")
    ]
    evaluation_list = [
        (evaluation, _evaluation_rows(evaluation))
        for evaluation in procedure.evaluations.select_related("version", "new_version").prefetch_related(
            "opinions__partner__organisation"
        )
    ]
    focus = None
    if version.geometry:
        focus = {
            "layer": "subsectors",
            "code": procedure.code,
            "name": procedure.title,
            "bounds": [[version.min_lat, version.min_lon], [version.max_lat, version.max_lon]],
        }
    config = map_config()
    if focus:
        config["focus"] = focus
    return render(
        request,
        "web/sectors/detail.html",
        {
            "procedure": procedure,
            "version": version,
            "versions": versions,
            "partners": version.partners.select_related("organisation", "referent"),
            "zones": version.zones.all(),
            "split": split,
            "coverage": figures.coverage(version),
            "means": means,
            "overrides": version.overrides.select_related("category"),
            "approvals": version.approvals.select_related("partner__organisation").order_by("-round", "pk"),
            "evaluations": evaluation_list,
            "map_config": config,
            "can_edit": can_edit,
            "preparing": preparing,
            "open_form": open_form if can_edit and (preparing is None or status != 200) else None,
        },
        status=status,
    )


@login_required
def sector_map_data(request, code):
    """GeoJSON of the perimeter and its zones, each saying who does what there (the split table's rows);
    ``?version=N``: of that version (the editing page's context), else of the one in force."""
    procedure = _procedure(request.user, code)
    version, versions = _current(procedure)
    asked = request.GET.get("version", "")
    if asked:
        version = next((v for v in versions if str(v.number) == asked), None)
        if version is None:
            raise Http404()
    rows = list(version.split_rows.select_related("unit", "zone", "category", "category_group"))

    def who(zone_id):
        def what(row):
            return row.category.localized_name if row.category_id else row.category_group.name

        return "; ".join(f"{what(row)} → {row.unit.name}" for row in rows if row.zone_id == zone_id)

    features = []
    if version.geometry:
        features.append(
            {
                "type": "Feature",
                "geometry": version.geometry,
                "properties": {
                    "layer": "subsectors",
                    "layerLabel": _("Perimeter"),
                    "code": procedure.code,
                    "name": procedure.title,
                    "unit": who(None),
                },
            }
        )
    for zone in version.zones.all():
        features.append(
            {
                "type": "Feature",
                "geometry": zone.geometry,
                "properties": {
                    "layer": "zones",
                    "layerLabel": _("Zone"),
                    "code": f"zone-{zone.pk}",
                    "name": zone.name,
                    "unit": who(zone.pk),
                },
            }
        )
    return JsonResponse({"type": "FeatureCollection", "features": features})


def _inbox_context(user, errors=None, target=None):
    return {
        "approvals": approvals.approvals_to_give(user).filter(
            pk__in=sector_approvals_visible_to(user).values("pk")
        ),
        "evaluations": evaluations.evaluations_to_give(user).filter(
            pk__in=sector_evaluations_visible_to(user).values("pk")
        ),
        "decisions": EvaluationDecision.choices,
        "errors": errors or {},
        "target": target,
    }


@login_required
def sector_inbox(request):
    return render(request, "web/sectors/inbox.html", _inbox_context(request.user))


def _refused(request, exc, target):
    errors = exc.errors if isinstance(exc, InvalidFields) else {"general": str(exc)}
    return render(request, "web/sectors/inbox.html", _inbox_context(request.user, errors, target), status=400)


@login_required
@require_POST
def sector_approval_answer(request, pk):
    approval = sector_approvals_visible_to(request.user).select_related("partner").filter(pk=pk).first()
    if approval is None:
        raise Http404()
    answer, comment = request.POST.get("answer"), request.POST.get("comment", "")
    try:
        if answer == "approve":
            approvals.do_approve_sector_version(approval, acting_user=request.user, comment=comment)
        elif answer == "changes":
            approvals.do_request_sector_changes(approval, acting_user=request.user, comment=comment)
        else:
            raise InvalidFields({"answer": _("Choose to approve or to ask for changes.")})
    except RoleNotAllowed as exc:
        return _forbidden(request, exc, f"approval-{pk}")
    except EngineError as exc:
        return _refused(request, exc, f"approval-{pk}")
    return redirect("sector-inbox")


def _forbidden(request, exc, target):
    response = _refused(request, exc, target)
    response.status_code = 403
    return response


@login_required
@require_POST
def sector_evaluation_answer(request, pk):
    evaluation = sector_evaluations_visible_to(request.user).filter(pk=pk).first()
    if evaluation is None:
        raise Http404()
    try:
        if request.POST.get("kind") == "opinion":
            evaluations.do_give_evaluation_opinion(
                evaluation, acting_user=request.user, text=request.POST.get("text")
            )
        else:
            evaluations.do_decide_sector_evaluation(
                evaluation,
                acting_user=request.user,
                decision=request.POST.get("decision"),
                note=request.POST.get("note", ""),
                effective_from=request.POST.get("effective_from") or None,
            )
    except RoleNotAllowed as exc:
        return _forbidden(request, exc, f"evaluation-{pk}")
    except EngineError as exc:
        return _refused(request, exc, f"evaluation-{pk}")
    return redirect("sector-detail", code=evaluation.procedure.code)


@login_required
def sector_new(request):
    """An administrator creates a procedure with its perimeter (drawn on the map, pasted or imported)."""
    if not profile_of(request.user).is_admin:
        return HttpResponseForbidden(_("Only administrators may edit sub-sector procedures."))
    form = SectorProcedureForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                version = actions.do_create_sector_procedure(
                    acting_user=request.user,
                    code=data["code"],
                    title=data["title"],
                    description=data["description"],
                    goals=data["goals"],
                    starts_on=data["starts_on"],
                    evaluation_month=data["evaluation_month"],
                    partners=[(user.organisation, user, "") for user in data["referents"]],
                    intervention_version=data["intervention_version"],
                    geometry=data["geometry"],
                )
            except EngineError as exc:
                add_engine_errors(form, exc, {"subsectors": "geometry", "partners": "referents"})
            else:
                return redirect("sector-detail", code=version.procedure.code)
        status = 400
    config = map_config()
    return render(request, "web/sectors/new.html", {"form": form, "map_config": config}, status=status)
