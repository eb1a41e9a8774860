"""actions: transitions."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from directory.models import Unit, User
from engine import actions as engine
from engine.errors import ConcurrentChange, InvalidFields, InvalidTransition
from procedures import conf, messages
from procedures.actions._common import (
    _lock,
    _message,
    check_text_length,
    commune_language,
    handler_key,
)
from procedures.actions.filing import _category
from procedures.actions.redirect import do_merge_duplicate, do_redirect_request
from procedures.models import (
    InterventionRequest,
    Urgency,
)

# --- transitions -----------------------------------------------------------------------------------------
DOMAIN_QUALIFY_FIELDS = ("category", "urgency", "urgency_criteria", "handler_unit", "handler_agent")


def _apply_qualification(request, fields, errors):
    """Category, urgency and handler confirmed or corrected while qualifying; returns the changed names."""
    changed = []
    if "category" in fields:
        category = _category(fields["category"], errors)
        if category is not None and category.pk != request.category_id:
            request.category, request.category_group_id = category, category.group_id
            changed += ["category", "category_group"]
    if "urgency" in fields:
        if fields["urgency"] not in Urgency.values:
            errors["urgency"] = _("Choose normal or urgent.")
        elif fields["urgency"] != request.urgency:
            request.urgency = fields["urgency"]
            changed.append("urgency")
    if "handler_unit" in fields:
        unit = fields["handler_unit"]
        unit = unit if isinstance(unit, Unit) else Unit.objects.filter(pk=unit).first()
        if unit is None:
            errors["handler_unit"] = _("Unknown unit.")
        elif unit.pk != request.handler_unit_id:
            request.handler_unit, request.handler_organisation = unit, unit.organisation
            changed += ["handler_unit", "handler_organisation"]
    if "handler_agent" in fields:
        agent = fields["handler_agent"]
        agent = agent if isinstance(agent, User) or agent is None else User.objects.filter(pk=agent).first()
        if agent is not None and request.handler_unit_id and agent.unit_id != request.handler_unit_id:
            errors["handler_agent"] = _("The agent must belong to the handler unit.")
        else:
            request.handler_agent = agent
            changed.append("handler_agent")
    return changed


def do_transition_request(request, code, *, acting_user, fields=None, reason="", expected_revision=None):
    """Fire a transition of the request's procedure and tell the commune what it means."""
    fields = dict(fields or {})
    check_text_length(reason=reason, **{name: value for name, value in fields.items() if name != "reason"})
    if code == "redirect":
        return do_redirect_request(
            request, acting_user=acting_user, reason=reason, target=fields.get("target"),
            turn_to=fields.get("turn_to", ""),
        )  # fmt: skip
    if code == "mark_duplicate":
        master = InterventionRequest.objects.filter(reference=fields.get("master", "")).first()
        if master is None:
            raise InvalidFields({"master": _("No request has this reference.")})
        return do_merge_duplicate(request, master, acting_user=acting_user, reason=reason)
    with transaction.atomic():
        request = _lock(request)
        domain = {name: fields.pop(name) for name in DOMAIN_QUALIFY_FIELDS if name in fields}
        changed = []
        if domain:
            if code != "qualify":
                raise InvalidFields({name: _("Only set while qualifying.") for name in domain})
            errors = {}
            changed = _apply_qualification(request, domain, errors)
            if errors:
                raise InvalidFields(errors)
            if changed:
                request.save(update_fields=[*changed, "updated_at"])
                if "handler_unit" in changed:
                    engine.do_assign_role(
                        request.case,
                        "handler",
                        [handler_key(request)],
                        acting_user=acting_user,
                        reason=reason,
                    )
        case = engine.do_fire_transition(
            request.case, code, acting_user=acting_user, fields=fields, reason=reason,
            expected_revision=expected_revision,
        )  # fmt: skip
        _after_transition(request, case, code, acting_user, reason)
    return request


def _after_transition(request, case, code, acting_user, reason):
    with commune_language():
        _write_after_transition(request, case, code, acting_user, reason)


def _write_after_transition(request, case, code, acting_user, reason):
    now = timezone.now()
    data = case.data
    definition = case.version.definition
    final = definition["states"][case.state]["final"]
    updates = {"closed_at": now if final else None}
    if code == "plan":
        updates["planned_date"] = parse_date(data["planned_date"])
    elif code == "finish":
        updates.update(resolution_note=data.get("resolution_note", ""), resolved_at=now)
    for name, value in updates.items():
        setattr(request, name, value)
    request.save(update_fields=[*updates, "updated_at"])
    kind, body = messages.after_transition(request, code, data, reason)
    if body:
        _message(request, kind, body.strip(), acting_user)


def do_confirm_request(request, *, acting_user):
    return do_transition_request(request, "confirm", acting_user=acting_user)


def do_reopen_request(request, *, acting_user, reason):
    return do_transition_request(request, "reopen", acting_user=acting_user, reason=reason)


# --- background -------------------------------------------------------------------------------------------
def auto_close_done_requests(now=None, batch=500):
    """Worker job: close the done requests the commune has not answered for GUP_AUTO_CLOSE_DAYS days."""
    now = now or timezone.now()
    limit = now - timedelta(days=conf.get("GUP_AUTO_CLOSE_DAYS"))
    due = InterventionRequest.objects.filter(
        closed_at__isnull=True, resolved_at__lte=limit, case__state="done"
    ).order_by("resolved_at")[:batch]
    closed = 0
    for request in due:
        try:
            do_transition_request(
                request, "auto_close", acting_user=None, reason=_("No answer from the commune.")
            )
        except (InvalidTransition, ConcurrentChange):
            continue  # answered or closed meanwhile
        closed += 1
    return closed
