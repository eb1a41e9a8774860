"""Read-side helpers for the API and the UI, built on the same checks as the actions."""

from dataclasses import dataclass, field

from engine import registry
from engine.access import holders_by_role, principal_keys, roles_from_holders
from engine.context import Context, Effects
from engine.errors import GuardFailed
from engine.models import Case, RoleHolder


@dataclass
class TransitionInfo:
    code: str
    label: dict
    to: str
    fields: dict
    guard_failures: list = field(default_factory=list)  # [{"field": ..., "message": ...}]

    @property
    def ready(self):
        """True when no guard currently blocks it (fields given with the transition may still satisfy one)."""
        return not self.guard_failures


def roles_of(user, case):
    return roles_from_holders(holders_by_role(case), principal_keys(user))


def available_transitions(case, user, holders=None):
    """Transitions the user may fire on the case now: from its state and allowed to one of their roles.

    Guards are evaluated without fields or comment and their failures reported, not hidden.
    """
    definition = case.version.definition
    holders = holders_by_role(case) if holders is None else holders
    roles = roles_from_holders(holders, principal_keys(user))
    result = []
    for code, spec in definition["transitions"].items():
        if case.state not in spec["from"] or not roles & set(spec["roles"]):
            continue
        ctx = Context(
            case,
            actor=user,
            definition=definition,
            now=None,
            holders=holders,
            effects=Effects(),
            transition=code,
            roles=roles,
        )
        failures = []
        for call in spec["guards"]:
            try:
                registry.GUARDS[call["name"]].function(ctx, **call["params"])
            except GuardFailed as error:
                failures.append({"guard": call["name"], "field": error.field, "message": str(error)})
        result.append(TransitionInfo(code, spec["label"], spec["to"], spec["fields"], failures))
    return result


def cases_where_user_holds(user, roles=None):
    """Cases where one of the user's principal keys holds a role (all roles, or those given)."""
    holders = RoleHolder.objects.filter(party__in=principal_keys(user))
    if roles is not None:
        holders = holders.filter(role__in=list(roles))
    return Case.objects.filter(pk__in=holders.values("case_id"))
