"""Request pages: "Je prends" and the DVQ's urgency check steps."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from engine.errors import EngineError
from procedures import actions
from web.forms import (
    AlertAnswerForm,
    AlertCloseForm,
    AlertRaiseForm,
)
from web.views_requests._common import error_status
from web.views_requests.detail import detail_context, done, rerender_with_error, scoped_request


# --- "Je prends": an agent takes the request ----------------------------------------------------------------
@login_required
@require_POST
def request_take(request, reference):
    """Put the signed-in agent in charge of the request (procedures.actions.do_take_request)."""
    obj = scoped_request(request.user, reference)
    try:
        actions.do_take_request(obj, acting_user=request.user)
    except EngineError as error:
        messages.error(request, str(error) or _("You cannot take this request."))
        return render(
            request, "web/requests/detail.html", detail_context(request, obj), status=error_status(error)
        )
    return done(request, obj, _("You are now in charge of %(ref)s.") % {"ref": obj.reference})


# --- the DVQ's urgency check -------------------------------------------------------------------------------
def _alert_step(request, reference, form_class, key, perform, success_message):
    """One step of the DVQ's urgency check: validate the form, call the action, re-render on refusal."""
    obj = scoped_request(request.user, reference)
    form = form_class(request.POST)
    if not form.is_valid():
        return render(
            request, "web/requests/detail.html", detail_context(request, obj, {key: form}), status=400
        )
    try:
        perform(obj, form.cleaned_data)
    except EngineError as error:
        return rerender_with_error(request, obj, key, form, error)
    return done(request, obj, success_message)


@login_required
@require_POST
def alert_raise(request, reference):
    return _alert_step(
        request,
        reference,
        AlertRaiseForm,
        "alert-raise",
        lambda obj, data: actions.do_raise_urgency_alert(
            obj, acting_user=request.user, reason=data["reason"]
        ),
        _("The urgency check was sent to the commune."),
    )


@login_required
@require_POST
def alert_answer(request, reference):
    return _alert_step(
        request,
        reference,
        AlertAnswerForm,
        "alert-answer",
        lambda obj, data: actions.do_justify_urgency(obj, acting_user=request.user, answer=data["answer"]),
        _("Your justification was sent to the DVQ."),
    )


def _close_alert(obj, data, user):
    close = (
        actions.do_uphold_urgency_alert if data["outcome"] == "upheld" else actions.do_dismiss_urgency_alert
    )
    close(obj, acting_user=user, note=data["note"])


@login_required
@require_POST
def alert_close(request, reference):
    return _alert_step(
        request,
        reference,
        AlertCloseForm,
        "alert-close",
        lambda obj, data: _close_alert(obj, data, request.user),
        _("The urgency check is closed."),
    )
