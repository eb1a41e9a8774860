"""actions: the DVQ's urgency check."""

from django.db import transaction
from django.utils.translation import gettext as _

from engine import actions as engine
from engine.errors import InvalidFields, InvalidTransition
from engine.models import Alert, AlertState
from procedures import messages
from procedures.actions._common import URGENCY_CHECK, _lock, _message, check_text_length, commune_language
from procedures.actions.filing import _urgency_check_message
from procedures.models import (
    MessageKind,
    Urgency,
)


# --- the DVQ's urgency check ------------------------------------------------------------------------------
def open_urgency_alert(request):
    return (
        Alert.objects.filter(case_id=request.case_id, code=URGENCY_CHECK)
        .exclude(state=AlertState.CLOSED)
        .order_by("-raised_at")
        .first()
    )


def do_raise_urgency_alert(request, *, acting_user, reason):
    """The DVQ asks the commune to justify the urgency of an urgent request."""
    check_text_length(reason=reason)
    if request.urgency != Urgency.URGENT:
        raise InvalidFields({"urgency": _("Only an urgent request can be checked.")})
    if not (reason or "").strip():
        raise InvalidFields({"reason": _("Say what the commune must justify.")})
    if open_urgency_alert(request) is not None:
        raise InvalidTransition(_("An urgency check is already open on this request."))
    with transaction.atomic():
        request = _lock(request)
        alert = engine.do_raise_alert(
            request.case, URGENCY_CHECK, acting_user=acting_user, to_role="requester", reason=reason.strip()
        )
        _urgency_check_message(request, alert, acting_user)
    return alert


def _the_alert(request):
    alert = open_urgency_alert(request)
    if alert is None:
        raise InvalidTransition(_("There is no open urgency check on this request."))
    return alert


def do_justify_urgency(request, *, acting_user, answer):
    """The commune answers the urgency check."""
    check_text_length(answer=answer)
    return engine.do_answer_alert(_the_alert(request), acting_user=acting_user, answer=answer)


def do_uphold_urgency_alert(request, *, acting_user, note=""):
    """The DVQ upholds its alert: the urgency is removed (counted as not justified)."""
    check_text_length(note=note)
    with transaction.atomic():
        request = _lock(request)
        alert = engine.do_close_alert(_the_alert(request), "upheld", acting_user=acting_user, note=note)
        request.urgency = Urgency.NORMAL
        request.urgency_justified = False
        request.save(update_fields=["urgency", "urgency_justified", "updated_at"])
        # The service level depends on the urgency: deadlines move to the normal level's targets.
        request.case._intervention_request = request
        with commune_language():
            engine.do_recompute_deadlines(
                request.case, acting_user=acting_user, reason=_("Urgency removed by the DVQ.")
            )
            _message(
                request,
                MessageKind.URGENCY,
                messages.urgency_removed(request),
                acting_user,
            )
    return alert


def do_dismiss_urgency_alert(request, *, acting_user, note=""):
    """The DVQ dismisses its alert: the urgency stands and counts as justified."""
    check_text_length(note=note)
    with transaction.atomic():
        request = _lock(request)
        alert = engine.do_close_alert(_the_alert(request), "dismissed", acting_user=acting_user, note=note)
        request.urgency_justified = True
        request.save(update_fields=["urgency_justified", "updated_at"])
        with commune_language():
            _message(
                request,
                MessageKind.URGENCY,
                messages.urgency_kept(request),
                acting_user,
            )
    return alert
