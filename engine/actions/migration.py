"""actions: migration of running cases."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from engine import deadlines
from engine.actions._common import _system_or
from engine.context import Effects
from engine.models import (
    Case,
    ProcedureVersion,
    VersionStatus,
)


# --- migration of running cases ------------------------------------------------------------------------
def plan_migration(procedure_code, from_number, to_number, mapping):
    """Check a migration; return (source version, target version, running cases queryset) or raise
    DefinitionInvalid with one problem per line (unmapped states in use, unknown states, versions)."""
    from engine.errors import DefinitionInvalid

    problems = []
    versions = {
        v.number: v
        for v in ProcedureVersion.objects.filter(
            procedure__code=procedure_code, number__in=[from_number, to_number]
        )
    }
    source, target = versions.get(from_number), versions.get(to_number)
    if source is None:
        problems.append(
            _("--from: no version %(n)s of '%(code)s'") % {"n": from_number, "code": procedure_code}
        )
    if target is None:
        problems.append(_("--to: no version %(n)s of '%(code)s'") % {"n": to_number, "code": procedure_code})
    elif target.status != VersionStatus.PUBLISHED:
        problems.append(
            _("--to: version %(n)s is %(status)s; only a published version can receive cases")
            % {"n": to_number, "status": target.status}
        )
    if source is not None and target is not None and source.pk == target.pk:
        problems.append(_("--to: the target version must differ from the source version"))
    if problems:
        raise DefinitionInvalid(problems)
    cases = Case.objects.filter(version=source).exclude(phase="closed")
    in_use = sorted(set(cases.values_list("state", flat=True)))
    source_states, target_states = source.definition["states"], target.definition["states"]
    for old, new in mapping.items():
        if old not in source_states:
            problems.append(
                _("--map %(old)s=%(new)s: '%(old)s' is not a state of version %(n)s")
                % {"old": old, "new": new, "n": from_number}
            )
        if new not in target_states:
            problems.append(
                _("--map %(old)s=%(new)s: '%(new)s' is not a state of version %(n)s")
                % {"old": old, "new": new, "n": to_number}
            )
    for state in in_use:
        if state not in mapping:
            count = cases.filter(state=state).count()
            problems.append(
                _(
                    "--map: state '%(state)s' is used by %(count)s running case(s) and has no mapping "
                    "(add --map %(state)s=<state of version %(n)s>)"
                )
                % {"state": state, "count": count, "n": to_number}
            )
    if problems:
        raise DefinitionInvalid(problems)
    return source, target, cases


def do_migrate_cases(procedure_code, from_number, to_number, mapping, *, acting_user, reason=""):
    """Move the running cases of a version to another with an explicit state mapping, all or nothing.

    Each case gets its new version and state, its live deadlines are voided and those the new
    definition starts in the new state are started, and an audit entry records the move.
    """
    source, target, cases = plan_migration(procedure_code, from_number, to_number, mapping)
    now = timezone.now()
    definition = target.definition
    moved = 0
    with transaction.atomic():
        effects = Effects()
        for case in cases.select_for_update().order_by("pk"):
            from_state, to_state = case.state, mapping[case.state]
            spec = definition["states"][to_state]
            case.version = target
            case.state, case.phase, case.revision, case.updated_at = (
                to_state,
                spec["phase"],
                case.revision + 1,
                now,
            )
            case.closed_at = now if spec["final"] else None
            case.save(update_fields=["version", "state", "phase", "revision", "updated_at", "closed_at"])
            voided = []
            for deadline in case.deadlines.filter(state__in=deadlines.LIVE):
                deadlines.void(deadline, now)
                voided.append(["voided", deadline.kind])
            started = deadlines.on_transition(case, definition, from_state, to_state, now)
            effects.record(
                case,
                "migrated",
                actor=_system_or(acting_user),
                at=now,
                from_state=from_state,
                to_state=to_state,
                reason=reason,
                data={
                    "from_version": source.number,
                    "to_version": target.number,
                    "deadlines": voided + started,
                },
                payload={
                    "from_version": source.number,
                    "to_version": target.number,
                    "from": from_state,
                    "to": to_state,
                },
            )
            moved += 1
        effects.flush()
    return moved
