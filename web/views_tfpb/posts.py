"""The TFPB forms' POST endpoints: each calls one action; on an error the page is shown again with the
error on its field (nothing saved), else the browser is sent back to the programme."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from directory.models import Layer, Perimeter
from engine.errors import EngineError, InvalidFields
from tfpb import actions
from tfpb.models import Axis
from tfpb.scope import conventions_visible_to
from web.forms import add_engine_errors
from web.views_requests._common import error_status
from web.views_tfpb.forms import (
    ActionForm,
    DocumentForm,
    NewActionForm,
    ProgrammeForm,
    RealisationForm,
    YearReviewForm,
)
from web.views_tfpb.pages import detail_context, home_context, map_context, scoped_programme


def _again(request, programme, key, form, error=None):
    if error is not None:
        add_engine_errors(form, error)
        messages.error(
            request, _("Please correct the form.") if isinstance(error, InvalidFields) else str(error)
        )
    status = error_status(error) if error is not None else 400
    return render(
        request, "web/tfpb/programme.html", detail_context(request, programme, {key: form}), status=status
    )


def _done(request, programme, message):
    messages.success(request, message)
    return redirect("tfpb-programme", programme.pk)


@login_required
@require_POST
def create_programme(request, pk):
    convention = conventions_visible_to(request.user).filter(pk=pk).first()
    if convention is None:
        raise Http404
    form = ProgrammeForm(request.POST, convention=convention)
    if form.is_valid():
        qpv = Perimeter.objects.filter(layer=Layer.QPV, code=form.cleaned_data["qpv"]).first()
        try:
            programme = actions.do_create_programme(
                convention,
                year=form.cleaned_data["year"],
                qpv=qpv,
                expected_abatement=form.cleaned_data["expected_abatement_eur"] or None,
                acting_user=request.user,
            )
        except EngineError as error:
            add_engine_errors(form, error)
        else:
            return _done(request, programme, _("The programme was created."))
    messages.error(request, _("Please correct the form."))
    return render(request, "web/tfpb/home.html", home_context(request, (convention.pk, form)), status=400)


@login_required
@require_POST
def add_action(request, pk):
    programme = scoped_programme(request.user, pk)
    form = NewActionForm(request.POST)
    if not form.is_valid():
        return _again(request, programme, "action", form)
    data = form.cleaned_data
    indicators = []
    if data["indicator_name"] or data["indicator_target"]:
        indicators = [
            {
                "name": data["indicator_name"],
                "unit": data["indicator_unit"],
                "target": data["indicator_target"],
            }
        ]
    try:
        actions.do_add_programme_action(
            programme,
            axis=data["axis"] if isinstance(data["axis"], Axis) else None,
            title=data["title"],
            description=data["description"],
            places=data["places"],
            planned_amount=data["planned_amount_eur"],
            location=form.location(),
            indicators=indicators,
            acting_user=request.user,
        )
    except EngineError as error:
        if isinstance(error, InvalidFields):
            error = InvalidFields(
                {
                    (
                        "indicator_target"
                        if k.endswith(".target")
                        else "indicator_name"
                        if k.startswith("indicators")
                        else k
                    ): v
                    for k, v in error.errors.items()
                }
            )
        return _again(request, programme, "action", form, error)
    return _done(request, programme, _("The action was added."))


@login_required
@require_POST
def submit_programme(request, pk):
    programme = scoped_programme(request.user, pk)
    try:
        actions.do_submit_programme(programme, acting_user=request.user)
    except EngineError as error:
        messages.error(
            request, "; ".join(str(m) for m in getattr(error, "errors", {}).values()) or str(error)
        )
        return render(
            request, "web/tfpb/programme.html", detail_context(request, programme), status=error_status(error)
        )
    return _done(request, programme, _("The programme was sent to the partners for review."))


@login_required
@require_POST
def record_realisation(request, pk, action_id):
    programme = scoped_programme(request.user, pk)
    action = programme.actions.filter(pk=action_id).prefetch_related("indicators").first()
    if action is None:
        raise Http404
    form = RealisationForm(request.POST, action=action)
    key = f"realisation-{action.pk}"
    if not form.is_valid():
        return _again(request, programme, key, form)
    try:
        actions.do_record_realisation(
            action,
            realised_amount=form.cleaned_data["realised_amount_eur"],
            comment=form.cleaned_data["comment"],
            indicators_reached=form.indicators_reached(),
            acting_user=request.user,
        )
    except EngineError as error:
        if isinstance(error, InvalidFields):
            error = InvalidFields(
                {
                    (f"indicator_{k.split('.', 1)[1]}" if k.startswith("indicators.") else k): v
                    for k, v in error.errors.items()
                }
            )
        return _again(request, programme, key, form, error)
    return _done(request, programme, _("The realisation was recorded."))


@login_required
@require_POST
def add_document(request, pk):
    programme = scoped_programme(request.user, pk)
    form = DocumentForm(request.POST, request.FILES)
    if not form.is_valid():
        return _again(request, programme, "document", form)
    try:
        actions.do_add_review_document(programme, form.cleaned_data["file"], acting_user=request.user)
    except EngineError as error:
        return _again(request, programme, "document", form, error)
    return _done(request, programme, _("The document was added."))


@login_required
@require_POST
def submit_year_review(request, pk):
    programme = scoped_programme(request.user, pk)
    form = YearReviewForm(request.POST)
    if not form.is_valid():
        return _again(request, programme, "year_review", form)
    try:
        actions.do_submit_year_review(
            programme, comment=form.cleaned_data["comment"], acting_user=request.user
        )
    except EngineError as error:
        return _again(request, programme, "year_review", form, error)
    return _done(request, programme, _("The yearly review was sent to the partners."))


def _scoped_action(request, pk, action_id):
    programme = scoped_programme(request.user, pk)
    action = programme.actions.filter(pk=action_id).select_related("axis").first()
    if action is None:
        raise Http404
    return programme, action


def _edit_page(request, programme, action, form, status=200):
    context = {
        "programme": programme,
        "action": action,
        "form": form,
        "is_landlord": actions.may_edit_programme(request.user, programme),
        "editable": actions.may_edit_programme(request.user, programme) and programme.is_editable,
        **map_context(programme, [action]),
    }
    return render(request, "web/tfpb/action_edit.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def edit_action(request, pk, action_id):
    """The change form of an action (GET), and its saving through the action layer (POST)."""
    programme, action = _scoped_action(request, pk, action_id)
    if request.method == "GET":
        lon, lat = (action.location or {}).get("coordinates") or (None, None)
        initial = {
            "axis": action.axis,
            "title": action.title,
            "description": action.description,
            "places": action.places,
            "planned_amount_eur": action.planned_amount_eur,
            "lat": lat,
            "lon": lon,
        }
        return _edit_page(request, programme, action, ActionForm(initial=initial))
    form = ActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please correct the form."))
        return _edit_page(request, programme, action, form, status=400)
    data = form.cleaned_data
    try:
        actions.do_change_programme_action(
            action,
            axis=data["axis"],
            title=data["title"],
            description=data["description"],
            places=data["places"],
            planned_amount=data["planned_amount_eur"],
            location=form.location(),
            acting_user=request.user,
        )
    except EngineError as error:
        add_engine_errors(form, error)
        messages.error(
            request, _("Please correct the form.") if isinstance(error, InvalidFields) else str(error)
        )
        return _edit_page(request, programme, action, form, status=error_status(error))
    return _done(request, programme, _("The action was changed."))


@login_required
@require_POST
def remove_action(request, pk, action_id):
    programme, action = _scoped_action(request, pk, action_id)
    try:
        actions.do_remove_programme_action(action, acting_user=request.user)
    except EngineError as error:
        messages.error(request, str(error))
        return _edit_page(request, programme, action, ActionForm(), status=error_status(error))
    return _done(request, programme, _("The action was removed."))
