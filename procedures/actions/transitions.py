"""actions: transitions."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from engine import actions as engine
from engine.errors import ConcurrentChange, InvalidFields, InvalidTransition
from procedures import conf, messages
from procedures.actions import references
from procedures.actions._common import (
    PROCEDURE,
    _lock,
    _message,
    check_may_fire_on,
    check_text_length,
    commune_language,
    handler_key,
)
from procedures.actions.filing import _category, _criteria
from procedures.actions.redirect import do_merge_duplicate, do_redirect_request
from procedures.models import (
    InterventionRequest,
    Urgency,
)

# --- transitions -----------------------------------------------------------------------------------------
DOMAIN_QUALIFY_FIELDS = ("category", "urgency", "urgency_criteria", "handler_unit", "handler_agent")


def _apply_qualification(request, fields, errors, acting_user=None):
    """Category, urgency, urgency criteria and handler confirmed or corrected while qualifying; the
    unit and the agent are resolved in the acting user's scope (procedures.actions.references).
    Returns the changed names (``urgency_criteria``: a many-to-many, set by the caller)."""
    changed = []
    if "category" in fields:
        if not isinstance(fields["category"], str):
            errors["category"] = _("must be text")
        else:
            category = _category(fields["category"], errors)[0]
            if category is not None and category.pk != request.category_id:
                request.category, request.category_group_id = category, category.group_id
                changed += ["category", "category_group"]
    if "urgency" in fields:
        if not isinstance(fields["urgency"], str) or fields["urgency"] not in Urgency.values:
            errors["urgency"] = _("Choose normal or urgent.")
        elif fields["urgency"] != request.urgency:
            request.urgency = fields["urgency"]
            changed.append("urgency")
    if "handler_unit" in fields:
        try:
            unit = references.resolve_unit(fields["handler_unit"], acting_user)
        except InvalidFields as error:
            errors.update(error.errors)
        else:
            if unit.pk != request.handler_unit_id:
                request.handler_unit, request.handler_organisation = unit, unit.organisation
                changed += ["handler_unit", "handler_organisation"]
    if "handler_agent" in fields and "handler_unit" not in errors:
        agent = fields["handler_agent"]
        if agent is None or agent == "":
            if request.handler_agent_id is not None:
                request.handler_agent = None
                changed.append("handler_agent")
        else:
            try:
                agent = references.resolve_agent_in_charge(
                    request, agent, field="handler_agent", unit=request.handler_unit
                )
            except InvalidFields as error:
                errors.update(error.errors)
            else:
                if agent.pk != request.handler_agent_id:
                    request.handler_agent = agent
                    changed.append("handler_agent")
    if "urgency_criteria" in fields:
        codes = fields["urgency_criteria"]
        if not isinstance(codes, list | tuple) or not all(isinstance(code, str) for code in codes):
            errors["urgency_criteria"] = _("Give a list of criterion codes.")
        elif "category" not in errors and "urgency" not in errors:
            criteria = _criteria(request.category, request.urgency, codes, errors)
            if "urgency_criteria" not in errors:
                request._qualified_criteria = criteria
                changed.append("urgency_criteria")
    return changed


def do_transition_request(request, code, *, acting_user, fields=None, reason="", expected_revision=None):
    """Fire a transition of the request's procedure and tell the commune what it means.

    Checks in order: who may fire it (RoleNotAllowed, 403), ``expected_revision`` (ConcurrentChange,
    409), the state, then the fields (InvalidFields, 400, naming each field at fault); nothing is
    written unless all pass. Every field naming another object (``master``, ``target``,
    ``handler_unit``, ``handler_agent``) is resolved in the acting user's scope: out of scope answers
    as unknown. At qualify, ``urgency_criteria`` are checked as at filing and replace the request's."""
    check_may_fire_on(request, code, acting_user, expected_revision)
    if not isinstance(fields, dict | type(None)):
        raise InvalidFields({"fields": _("Give the fields as an object (name: value).")})
    fields = dict(fields or {})
    check_text_length(reason=reason, **{name: value for name, value in fields.items() if name != "reason"})
    if code == "redirect":
        return do_redirect_request(
            request, acting_user=acting_user, reason=reason, target=fields.get("target"),
            turn_to=fields.get("turn_to", ""), expected_revision=expected_revision,
        )  # fmt: skip
    if code == "mark_duplicate":
        master = references.resolve_request_reference(fields.get("master", ""), acting_user, field="master")
        return do_merge_duplicate(
            request, master, acting_user=acting_user, reason=reason, expected_revision=expected_revision
        )
    with transaction.atomic():
        request = _lock(request)
        domain = {name: fields.pop(name) for name in DOMAIN_QUALIFY_FIELDS if name in fields}
        changed = []
        if domain:
            if code != "qualify":
                raise InvalidFields({name: _("Only set while qualifying.") for name in domain})
            errors = {}
            changed = _apply_qualification(request, domain, errors, acting_user)
            try:
                engine.clean_fields(request.case.version.definition["transitions"][code]["fields"], fields)
            except InvalidFields as error:
                errors.update(error.errors)
            if errors:
                raise InvalidFields(errors)
            if "urgency_criteria" in changed:
                changed.remove("urgency_criteria")
                request.urgency_criteria.set(request._qualified_criteria)
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


# What a transition does to the request and tells the commune is named by the definition (version 3
# on): the registered action ``request_effect: {effect: <name>}`` (procedures/engine_hooks.py) records
# the effect, applied here once the transition is done. REQUEST_EFFECTS lists the names (each one the
# code of the version-1 transition it came from).
REQUEST_EFFECTS = (
    "acknowledge", "qualify", "plan", "start_work", "wait", "finish", "auto_close", "confirm", "reopen",
    "reject",
)  # fmt: skip
# Compatibility, in this one place: versions 1 and 2 of the procedure name no effect; their cases keep
# the behaviour chosen by the transition's code (the effect of the same name, when there is one).
LEGACY_EFFECT_VERSIONS = {PROCEDURE: (1, 2)}


def effects_of(case, code):
    """The effects of transition ``code`` just fired on ``case``: those its definition named (recorded
    by the ``request_effect`` action), or for versions 1 and 2 the one named like the transition."""
    recorded = case.__dict__.pop("_request_effects", None)
    if recorded is not None:
        return recorded
    version = case.version
    if version.number in LEGACY_EFFECT_VERSIONS.get(version.procedure.code, ()):
        return [code] if code in REQUEST_EFFECTS else []
    return []


def _after_transition(request, case, code, acting_user, reason):
    with commune_language():
        effects = effects_of(case, code)
        for effect in effects or [None]:  # None: only what every transition does (closed_at)
            _write_after_transition(request, case, effect, acting_user, reason)


def _write_after_transition(request, case, code, acting_user, reason):
    """Apply one effect (``code``: a name of REQUEST_EFFECTS, or None) and tell the commune."""
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
