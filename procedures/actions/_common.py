"""actions: helpers."""

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from directory import access
from directory.models import Unit, UnitKind
from directory.roles import Role
from engine.errors import InvalidFields
from engine.models import Deadline, DeadlineState
from procedures.models import (
    InterventionRequest,
    RequestMessage,
)

# --- helpers ---------------------------------------------------------------------------------------------
PROCEDURE = "intervention-request"
URGENCY_CHECK = "urgency_check"
FILING_ROLES = (Role.REQUESTER, Role.REFERENT)
MAX_DESCRIPTION = 5000
MAX_REASON = 2000  # reasons, notes, answers and text fields: whatever the API, the UI or the admin sends


def check_text_length(**texts):
    """InvalidFields naming each text longer than MAX_REASON characters."""
    errors = {
        name: _("Ensure this field has no more than %(max)d characters.") % {"max": MAX_REASON}
        for name, value in texts.items()
        if isinstance(value, str) and len(value) > MAX_REASON
    }
    if errors:
        raise InvalidFields(errors)


def _errors_from(exc):
    """A Django ValidationError as a {field: message} dict."""
    if hasattr(exc, "error_dict"):
        return {field: " ".join(messages) for field, messages in exc.message_dict.items()}
    return {"__all__": " ".join(exc.messages)}


def _name_of(request):
    if request.handler_unit_id:
        return request.handler_unit.name
    if request.handler_organisation_id:
        return request.handler_organisation.name
    return _("the community's technical centre")


def _contact_of(request):
    holder = request.handler_unit or request.handler_organisation
    if holder is None:
        return ""
    parts = [part for part in (getattr(holder, "phone", ""), getattr(holder, "email", "")) if part]
    return ", ".join(parts)


def _due(request, kind):
    deadline = (
        Deadline.objects.filter(case_id=request.case_id, kind=kind, state=DeadlineState.RUNNING)
        .order_by("-started_at")
        .first()
    )
    return deadline.due_at if deadline else None


def _when(moment):
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def commune_language():
    """Messages to the commune are written in the platform's language (settings.LANGUAGE_CODE, French),
    whatever the language of the user whose action wrote them."""
    return translation.override(settings.LANGUAGE_CODE)


def _message(request, kind, body, author):
    """Write a message to the commune and queue its outbox event ``request.message`` (webhooks)."""
    from engine.outbox import emit

    message = RequestMessage.objects.create(request=request, kind=kind, body=body, author=author)
    emit(
        "request.message",
        case_id=request.case_id,
        payload={"message": message.pk, "kind": kind, "reference": request.reference},
    )
    return message


def _lock(request):
    """Re-read the request and its case in the transaction (row lock on PostgreSQL)."""
    locked = (
        InterventionRequest.objects.select_for_update(of=("self",))
        .select_related("case__version", "category__group", "handler_unit", "handler_organisation")
        .get(pk=request.pk)
    )
    if locked.case is None:
        raise InvalidFields(
            {"request": _("This request has no case (it was not filed through the platform).")}
        )
    return locked


def check_may_fire_on(request, code, acting_user, expected_revision=None):
    """The engine's check_may_fire on the request's case as it is now in the database (the caller's
    copy may be older): who may fire ``code`` (403), then the revision (409), then the state (400),
    before any field is looked at."""
    from engine import actions as engine
    from engine.models import Case

    if request.case_id is None:
        raise InvalidFields(
            {"request": _("This request has no case (it was not filed through the platform).")}
        )
    case = Case.objects.select_related("version").get(pk=request.case_id)
    return engine.check_may_fire(case, code, acting_user=acting_user, expected_revision=expected_revision)


def dispatcher_for(commune):
    """The CTC whose territory covers the commune (the request's dispatcher)."""
    return Unit.objects.filter(kind=UnitKind.CTC, territory=commune).order_by("pk").first()


def role_holders_for(request):
    holders = {
        "requester": [access.organisation_key(request.requester_organisation)],
        "dvq": [access.role_key(Role.DVQ_OFFICER)],
    }
    if request.dispatcher_unit_id:
        holders["dispatcher"] = [access.unit_key(request.dispatcher_unit)]
        holders["supervisor"] = [access.unit_key(request.dispatcher_unit, Role.SUPERVISOR)]
    elif request.handler_unit_id:  # handled directly, without a dispatcher: its own unit's supervisors
        holders["supervisor"] = [access.unit_key(request.handler_unit, Role.SUPERVISOR)]
    holders["handler"] = [handler_key(request)] if handler_key(request) else []
    return {role: parties for role, parties in holders.items() if parties}


def handler_key(request):
    if request.handler_unit_id:
        return access.unit_key(request.handler_unit)
    if request.handler_organisation_id:
        return access.organisation_key(request.handler_organisation)
    return None
