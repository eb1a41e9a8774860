"""actions: alerts."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition

from engine import deadlines
from engine.access import holders_by_role, principal_keys, roles_from_holders
from engine.actions._common import _check_roles, _system_or
from engine.context import Context, Effects, alert_event
from engine.definitions import alert_spec
from engine.errors import ConcurrentChange, InvalidFields, InvalidTransition
from engine.models import (
    AlertState,
    AuditEntry,
)


# --- alerts -----------------------------------------------------------------------------------------
def do_raise_alert(case, alert_code, *, acting_user, to_role=None, reason=""):
    definition = case.version.definition
    if alert_code not in definition.get("alerts", {}):
        raise InvalidFields({"alert": _("unknown alert '%(code)s'") % {"code": alert_code}})
    spec = alert_spec(definition, alert_code)
    if to_role is not None and to_role not in spec["answered_by"]:
        raise InvalidFields(
            {"to_role": _("must be one of %(roles)s") % {"roles": ", ".join(spec["answered_by"])}}
        )
    holders = holders_by_role(case)
    if acting_user is not None:
        _check_roles(spec["raised_by"], roles_from_holders(holders, principal_keys(acting_user)), acting_user)
    now = timezone.now()
    effects = Effects()
    ctx = Context(
        case, actor=_system_or(acting_user), definition=definition, now=now, holders=holders, effects=effects
    )
    with transaction.atomic():
        alert = ctx.raise_alert(alert_code, to_role, reason)
        effects.flush()
    return alert


def _alert_roles(alert, acting_user):
    case = alert.case
    return (
        roles_from_holders(holders_by_role(case), principal_keys(acting_user))
        if acting_user is not None
        else set()
    )


def _save_alert(alert, event, acting_user, now, reason="", **data):
    effects = Effects()
    try:
        with transaction.atomic():
            alert.save()
            deadlines.stop_alert_clock(alert, now)  # answered or closed: the answer clock stops
            effects.audit.append(
                AuditEntry(
                    case_id=alert.case_id,
                    actor=_system_or(acting_user),
                    at=now,
                    event=event,
                    reason=reason,
                    data={"alert": alert.pk, "code": alert.code, **data},
                )
            )
            effects.outbox.append(alert_event(event.replace("_", "."), alert, **data))
            effects.flush()
    except ConcurrentTransition:
        alert.refresh_from_db()
        raise ConcurrentChange(
            _("This alert was changed by someone else meanwhile; reload it and retry.")
        ) from None
    return alert


def do_answer_alert(alert, *, acting_user, answer):
    spec = alert_spec(alert.case.version.definition, alert.code)
    allowed = sorted(set(spec["answered_by"]) | ({alert.to_role} if alert.to_role else set()))
    _check_roles(allowed, _alert_roles(alert, acting_user), acting_user)
    if not (answer or "").strip():
        raise InvalidFields({"answer": _("this field is required")})
    if alert.state != AlertState.RAISED:
        raise InvalidTransition(_("This alert is %(state)s: it cannot be answered.") % {"state": alert.state})
    now = timezone.now()
    alert.mark_answered(_system_or(acting_user), answer.strip(), now)
    return _save_alert(alert, "alert_answered", acting_user, now, reason=answer.strip())


def do_close_alert(alert, outcome, *, acting_user, note=""):
    spec = alert_spec(alert.case.version.definition, alert.code)
    allowed = sorted(set(spec["raised_by"]) or {alert.to_role})
    _check_roles(allowed, _alert_roles(alert, acting_user), acting_user)
    if outcome not in spec["outcomes"]:
        raise InvalidFields(
            {"outcome": _("must be one of %(outcomes)s") % {"outcomes": ", ".join(spec["outcomes"])}}
        )
    if alert.state == AlertState.CLOSED:
        raise InvalidTransition(_("This alert is already closed."))
    now = timezone.now()
    alert.mark_closed(_system_or(acting_user), outcome, note or "", now)
    return _save_alert(alert, "alert_closed", acting_user, now, reason=note or "", outcome=outcome)
