"""actions: cases."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from engine import deadlines
from engine.access import holders_by_role, principal_keys, roles_from_holders
from engine.actions._common import (
    _check_roles,
    _roles_acting_now,
    _system_or,
    clean_fields,
    run_actions,
    run_guards,
)
from engine.actions.notes import _any_role
from engine.context import Context, Effects
from engine.errors import ConcurrentChange, EngineError, InvalidFields, InvalidTransition
from engine.models import (
    Case,
    ProcedureVersion,
    RoleHolder,
    VersionStatus,
)


# --- cases ------------------------------------------------------------------------------------------
def do_open_case(
    procedure_code, *, acting_user, role_holders, data=None, reference=None, version_id=None, version=None
):
    """Open a case on the latest published version of the procedure, in its initial state (or on the
    published version ``version_id``, of any procedure, when given; or on ``version``, a published
    ProcedureVersion the caller has in hand with its procedure, read from its own cache)."""
    versions = ProcedureVersion.objects.select_related("procedure").filter(status=VersionStatus.PUBLISHED)
    if version is not None:
        if version.status != VersionStatus.PUBLISHED:
            version = None
    elif version_id is not None:
        version = versions.filter(pk=version_id).first()
    else:  # the latest published version and its procedure, in one query
        version = versions.filter(procedure__code=procedure_code).order_by("-number").first()
    procedure = version.procedure if version is not None else None
    if version is None:
        raise EngineError(_("No published version of procedure '%(code)s'.") % {"code": procedure_code})
    definition = version.definition
    role_holders = {role: list(parties) for role, parties in (role_holders or {}).items()}
    unknown = [role for role in role_holders if role not in definition["roles"]]
    if unknown:
        raise InvalidFields({"role_holders": _("unknown role(s): %(roles)s") % {"roles": ", ".join(unknown)}})
    if definition.get("opened_by") and acting_user is not None:
        keys = principal_keys(acting_user)
        _check_roles(definition["opened_by"], roles_from_holders(role_holders, keys), acting_user)
    now = timezone.now()
    initial = definition["initial"]
    # no savepoint: inside a caller's transaction (a filing) a failure here rolls the whole of it back
    with transaction.atomic(savepoint=False):
        case = Case.objects.create(
            procedure=procedure,
            version=version,
            state=initial,
            phase=definition["states"][initial]["phase"],
            data=dict(data or {}),
            reference=reference or "",
            created_at=now,
            updated_at=now,
        )
        RoleHolder.objects.bulk_create(
            [
                RoleHolder(case=case, role=role, party=party, assigned_at=now)
                for role, parties in role_holders.items()
                for party in dict.fromkeys(parties)
            ]
        )
        case.opened_deadlines = []  # set by the deadlines it starts
        done = deadlines.on_transition(case, definition, initial, initial, now, opening=True)
        effects = Effects()
        effects.record(
            case,
            "opened",
            actor=_system_or(acting_user),
            at=now,
            to_state=initial,
            fields=case.data,
            data={"version": version.number, "role_holders": role_holders, "deadlines": done},
            payload={"procedure": procedure.code, "state": initial, "reference": case.reference},
        )
        effects.flush()
    case.opened_role_holders = role_holders  # who holds what right after opening (no re-read needed)
    return case


def check_may_fire(case, code, *, acting_user, expected_revision=None, holders=None):
    """What firing ``code`` checks before looking at any field, in this order: the transition exists
    (InvalidTransition), the actor holds one of its roles (RoleNotAllowed, 403), the case has not moved
    since ``expected_revision`` (ConcurrentChange, 409), the transition is possible from the current
    state (InvalidTransition). Returns the actor's roles on the case. The domain actions call it before
    validating their own fields, so an unauthorised caller gets 403 and a stale one 409, never 400."""
    definition = case.version.definition
    transition_def = definition["transitions"].get(code)
    if transition_def is None:
        raise InvalidTransition(_("Unknown transition '%(code)s'.") % {"code": code})
    holders = holders_by_role(case) if holders is None else holders
    roles = roles_from_holders(holders, principal_keys(acting_user)) if acting_user is not None else set()
    _check_roles(transition_def["roles"], roles, acting_user)
    if expected_revision is not None and _revision(expected_revision) != case.revision:
        raise ConcurrentChange()
    if case.state not in transition_def["from"]:
        raise InvalidTransition(
            _("Transition '%(code)s' is not possible from state '%(state)s'.")
            % {"code": code, "state": case.state}
        )
    return roles


def _revision(value):
    if isinstance(value, bool):
        raise InvalidFields({"expected_revision": _("must be a whole number")})
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InvalidFields({"expected_revision": _("must be a whole number")}) from None


def do_fire_transition(case, code, *, acting_user, fields=None, reason="", expected_revision=None):
    """Fire transition ``code`` on the case (compare-and-set on its revision: ConcurrentChange if moved).
    Checks in order: check_may_fire (transition, roles, revision, state), then the fields, then guards."""
    definition = case.version.definition
    holders = holders_by_role(case)
    roles = check_may_fire(
        case, code, acting_user=acting_user, expected_revision=expected_revision, holders=holders
    )
    transition_def = definition["transitions"][code]
    clean = clean_fields(transition_def["fields"], fields)
    now = timezone.now()
    effects = Effects()
    ctx = Context(
        case,
        actor=_system_or(acting_user),
        definition=definition,
        now=now,
        holders=holders,
        effects=effects,
        fields=clean,
        reason=reason or "",
        transition=code,
        roles=roles,
    )
    run_guards(ctx, transition_def["guards"])
    from_state, to_state = case.state, transition_def["to"]
    target = definition["states"][to_state]
    with transaction.atomic():
        run_actions(ctx, transition_def["actions"])
        data = {**case.data, **clean, **ctx.data_updates}
        revision = case.revision
        updated = Case.objects.filter(pk=case.pk, revision=revision).update(
            state=to_state,
            phase=target["phase"],
            revision=revision + 1,
            data=data,
            updated_at=now,
            closed_at=now if target["final"] else None,
        )
        if updated != 1:
            raise ConcurrentChange()
        case.state, case.phase, case.revision, case.data, case.updated_at = (
            to_state,
            target["phase"],
            revision + 1,
            data,
            now,
        )
        case.closed_at = now if target["final"] else None
        done = deadlines.on_transition(case, definition, from_state, to_state, now, explicit=ctx.deadline_ops)
        effects.record(
            case,
            "transition",
            actor=ctx.actor,
            at=now,
            from_state=from_state,
            to_state=to_state,
            fields=clean,
            reason=ctx.reason,
            data={"transition": code, "revision": case.revision, **({"deadlines": done} if done else {})},
            payload={
                "transition": code,
                "from": from_state,
                "to": to_state,
                "revision": case.revision,
                "reference": case.reference,
            },
        )
        effects.flush()
    return case


def _bump(case, now):
    """Compare-and-set +1 on the case's revision (ConcurrentChange if someone changed it meanwhile)."""
    if (
        Case.objects.filter(pk=case.pk, revision=case.revision).update(
            revision=F("revision") + 1, updated_at=now
        )
        != 1
    ):
        raise ConcurrentChange()
    case.revision += 1
    case.updated_at = now


def do_assign_role(case, role, parties, *, acting_user, reason=""):
    """Replace the holders of ``role`` on the case by ``parties``.

    Allowed to the system, and to holders of the roles listed for it in the definition's
    ``assigned_by`` (default: the holders of any role that may fire a transition from the current state).
    """
    definition = case.version.definition
    if role not in definition["roles"]:
        raise InvalidFields({"role": _("unknown role '%(role)s'") % {"role": role}})
    parties = list(dict.fromkeys(parties))
    holders = holders_by_role(case)
    if acting_user is not None:
        allowed = _roles_acting_now(case)
        _check_roles(allowed, roles_from_holders(holders, principal_keys(acting_user)), acting_user)
    before = holders.get(role, [])
    if before == parties:
        return case
    now = timezone.now()
    with transaction.atomic():
        _bump(case, now)
        RoleHolder.objects.filter(case=case, role=role).exclude(party__in=parties).delete()
        RoleHolder.objects.bulk_create(
            [
                RoleHolder(case=case, role=role, party=party, assigned_at=now)
                for party in parties
                if party not in before
            ]
        )
        effects = Effects()
        effects.record(
            case,
            "role_assigned",
            actor=_system_or(acting_user),
            at=now,
            from_state=case.state,
            to_state=case.state,
            reason=reason,
            data={"role": role, "before": before, "after": parties, "revision": case.revision},
            payload={"role": role, "parties": parties, "previous": before},
        )
        effects.flush()
    return case


def do_recompute_deadlines(case, *, acting_user, reason=""):
    """Re-resolve the durations of the case's running and paused deadlines (e.g. its service level
    changed) keeping their start and the business time elapsed; move their due times and unfired
    escalation points. Allowed to the system and to any role holder of the case. Returns the changes
    (one dict per deadline, also in the audit entry ``deadlines_recomputed``)."""
    _any_role(case, acting_user)
    definition = case.version.definition
    now = timezone.now()
    with transaction.atomic():
        changes = deadlines.recompute(case, definition, now)
        effects = Effects()
        effects.record(
            case,
            "deadlines_recomputed",
            actor=_system_or(acting_user),
            at=now,
            from_state=case.state,
            to_state=case.state,
            reason=reason,
            data={"deadlines": changes},
            payload={
                "reference": case.reference,
                "deadlines": [
                    {"kind": c["kind"], "before": c["before"]["due_at"], "after": c["after"]["due_at"]}
                    for c in changes
                ],
            },
        )
        effects.flush()
    return changes
