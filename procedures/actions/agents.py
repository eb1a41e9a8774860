"""actions: the agent in charge."""

from django.db import transaction
from django.utils.translation import gettext as _

from directory import access
from directory.models import User
from engine import actions as engine
from engine.errors import InvalidFields, InvalidTransition, RoleNotAllowed
from procedures.actions import references
from procedures.actions._common import _lock, check_text_length, handler_key

# --- the agent in charge -----------------------------------------------------------------------------------
ASSIGNING_ROLES = ("dispatcher", "supervisor")
AGENT_ROLES = references.AGENT_ROLES


def resolve_agent(value):
    """A user given as a User, a primary key or a username (API, forms); None if there is none.
    Resolves in no scope: for an agent in charge use references.resolve_agent_in_charge, for a
    person to share with references.resolve_person."""
    if isinstance(value, User):
        return value
    if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
        return User.objects.filter(pk=int(value)).first()
    if isinstance(value, str) and value.strip():
        return User.objects.filter(username=value.strip()).first()
    return None


def may_assign_agent(request, user):
    """Whether ``user`` may change the agent in charge of the request: its dispatcher and supervisor
    roles (None: the system)."""
    from engine.access import holders_by_role, principal_keys, roles_from_holders

    if user is None:
        return True
    if request.case_id is None:
        return False
    return bool(
        set(ASSIGNING_ROLES) & roles_from_holders(holders_by_role(request.case), principal_keys(user))
    )


def do_assign_request_agent(request, agent, *, acting_user, reason=""):
    """Put ``agent`` in charge of the request, at any stage while it is open (qualified or later too).

    Allowed to the request's dispatcher and supervisor roles (checked first: 403 before any 400). The
    agent (a User, an id or a username) must be one of references.put_in_charge_candidates (an active
    agent or supervisor of the handler unit or of a unit below it: the rule of qualify and of the
    forms' choices too); anyone else, known or not, gets the same message. Through the engine's
    do_assign_role: the handler role is held by the handler unit and the agent (audit
    ``role_assigned``, outbox ``case.role_assigned``, which tells the agent the request was handed to
    them)."""
    check_text_length(reason=reason)
    if request.case_id is None:
        raise InvalidFields(
            {"request": _("This request has no case (it was not filed through the platform).")}
        )
    if not may_assign_agent(request, acting_user):
        raise RoleNotAllowed(list(ASSIGNING_ROLES))
    if request.case.phase == "closed":
        raise InvalidTransition(_("This request is closed: its agent cannot change."))
    agent = references.resolve_agent_in_charge(request, agent, field="agent")
    with transaction.atomic():
        request = _lock(request)
        if request.handler_agent_id == agent.pk:
            return request
        request.handler_agent = agent
        request.save(update_fields=["handler_agent", "updated_at"])
        engine.do_assign_role(
            request.case,
            "handler",
            [handler_key(request), access.user_key(agent)],
            acting_user=acting_user,
            reason=reason
            or _("Agent in charge: %(agent)s") % {"agent": agent.get_full_name() or agent.username},
        )
    return request


# --- "I take it": an agent puts themself in charge ---------------------------------------------------------
def may_take_request(request, user):
    """Whether ``user`` may put themself in charge of the request ("Je prends").

    An active agent or supervisor of the handler unit (or of a unit below it), who holds the handler
    role on the case in a state where the handler acts, while the request is open and nobody is in
    charge of it yet."""
    from engine.access import holders_by_role, principal_keys, roles_from_holders

    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if request.case_id is None or request.closed_at is not None or request.handler_agent_id is not None:
        return False
    case = request.case
    if case.phase == "closed" or not request.handler_unit_id or not user.unit_id:
        return False
    if not any(user.has_role(role) for role in AGENT_ROLES):
        return False
    if request.handler_unit_id not in {user.unit_id, *(unit.pk for unit in user.unit.ancestors())}:
        return False
    steps = case.version.definition.get("transitions", {}).values()
    if not any("handler" in spec.get("roles", []) and case.state in spec.get("from", []) for spec in steps):
        return False
    return "handler" in roles_from_holders(holders_by_role(case), principal_keys(user))


def do_take_request(request, *, acting_user, reason=""):
    """The acting agent puts themself in charge of the request (may_take_request), through the engine's
    do_assign_role like do_assign_request_agent (audit ``role_assigned``, outbox ``case.role_assigned``)."""
    if not may_take_request(request, acting_user):
        raise RoleNotAllowed(["handler"])
    with transaction.atomic():
        request = _lock(request)
        if request.handler_agent_id is not None:
            if request.handler_agent_id == acting_user.pk:
                return request
            raise InvalidTransition(_("Someone took this request meanwhile."))
        request.handler_agent = acting_user
        request.save(update_fields=["handler_agent", "updated_at"])
        engine.do_assign_role(
            request.case,
            "handler",
            [handler_key(request), access.user_key(acting_user)],
            acting_user=acting_user,
            reason=reason or _("Taken by %(agent)s") % {"agent": acting_user.username},
        )
    return request
