"""The engine's actions: the only writers of cases, role holders, alerts, comments and attachments.

Each ``do_*`` function runs in one transaction, checks the actor's roles server-side, writes an
append-only audit entry and queues outbox events that are delivered after commit. ``acting_user``
None means the system (sweeper, commands) and is recorded as such.
"""

import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition

from engine import deadlines, registry
from engine.access import holders_by_role, principal_keys, roles_from_holders
from engine.context import Context, Effects, alert_event
from engine.definitions import alert_spec
from engine.errors import ConcurrentChange, EngineError, InvalidFields, InvalidTransition, RoleNotAllowed
from engine.models import (
    SHARE_PERMISSION,
    AlertState,
    Attachment,
    AuditEntry,
    Case,
    CaseUserObjectPermission,
    Comment,
    Procedure,
    ProcedureVersion,
    RoleHolder,
    VersionEvent,
    VersionStatus,
)


# --- helpers ----------------------------------------------------------------------------------------
def _check_roles(allowed, roles, acting_user):
    if acting_user is None:  # the system
        return
    if not set(allowed) & set(roles):
        raise RoleNotAllowed(allowed)


def clean_fields(specs, given):
    """Check and convert the fields given with a transition; raise InvalidFields naming each one at fault."""
    given = dict(given or {})
    errors, clean = {}, {}
    for name in given:
        if name not in specs:
            errors[name] = _("unknown field (expected: %(names)s)") % {"names": ", ".join(specs) or "-"}
    for name, spec in specs.items():
        value = given.get(name)
        if value is None or value == "":
            if spec["required"]:
                errors[name] = _("this field is required")
            continue
        kind = spec["type"]
        try:
            if kind in ("text", "string"):
                if not isinstance(value, str):
                    raise ValueError(_("must be text"))
                value = value.strip()
            elif kind == "integer":
                value = _convert(value, int, _("must be a whole number"))
            elif kind == "number":
                value = _convert(value, float, _("must be a number"))
            elif kind == "boolean":
                if not isinstance(value, bool):
                    raise ValueError(_("must be true or false"))
            elif kind == "date":
                if isinstance(value, datetime.date):
                    value = value.isoformat()
                elif not isinstance(value, str) or parse_date(value) is None:
                    raise ValueError(_("must be a date (YYYY-MM-DD)"))
            elif kind == "choice" and str(value) not in spec["choices"]:
                raise ValueError(_("must be one of %(choices)s") % {"choices": ", ".join(spec["choices"])})
        except (TypeError, ValueError) as error:
            message = str(error)
            errors[name] = (
                message if message and not message.startswith("invalid literal") else _("invalid value")
            )
            continue
        clean[name] = value
    if errors:
        raise InvalidFields(errors)
    return clean


def _convert(value, kind, message):
    if isinstance(value, bool):
        raise ValueError(message)
    try:
        converted = kind(value)
    except (TypeError, ValueError):
        raise ValueError(message) from None
    if kind is int and isinstance(value, float) and not value.is_integer():
        raise ValueError(message)
    if kind is float and converted != converted:  # NaN
        raise ValueError(message)
    return converted


def run_guards(ctx, guards):
    for call in guards:
        registry.GUARDS[call["name"]].function(ctx, **call["params"])


def run_actions(ctx, calls):
    for call in calls:
        registry.ACTIONS[call["name"]].function(ctx, **call["params"])


def _system_or(user):
    return user if user is not None and getattr(user, "pk", None) else None


def _roles_acting_now(case):
    """The roles that may fire a transition from the case's current state: by default, who may change
    its role holders (do_assign_role) and share it (do_share_case)."""
    definition = case.version.definition
    return sorted(
        {r for t in definition["transitions"].values() if case.state in t["from"] for r in t["roles"]}
    )


# --- cases ------------------------------------------------------------------------------------------
def do_open_case(procedure_code, *, acting_user, role_holders, data=None, reference=None):
    """Open a case on the latest published version of the procedure, in its initial state."""
    version = (  # the latest published version and its procedure, in one query
        ProcedureVersion.objects.select_related("procedure")
        .filter(procedure__code=procedure_code, status=VersionStatus.PUBLISHED)
        .order_by("-number")
        .first()
    )
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
    with transaction.atomic():
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
    return case


def do_fire_transition(case, code, *, acting_user, fields=None, reason="", expected_revision=None):
    """Fire transition ``code`` on the case (compare-and-set on its revision: ConcurrentChange if moved)."""
    definition = case.version.definition
    transition_def = definition["transitions"].get(code)
    if transition_def is None:
        raise InvalidTransition(_("Unknown transition '%(code)s'.") % {"code": code})
    if case.state not in transition_def["from"]:
        raise InvalidTransition(
            _("Transition '%(code)s' is not possible from state '%(state)s'.")
            % {"code": code, "state": case.state}
        )
    if expected_revision is not None and int(expected_revision) != case.revision:
        raise ConcurrentChange()
    holders = holders_by_role(case)
    roles = roles_from_holders(holders, principal_keys(acting_user)) if acting_user is not None else set()
    _check_roles(transition_def["roles"], roles, acting_user)
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


# --- one-off shares ---------------------------------------------------------------------------------
def may_share_case(case, user):
    """Whether ``user`` may share the case now (None: the system, always): the holders of a role that
    may fire a transition from its current state, as for do_assign_role. They may also take back any
    of its shares (see may_unshare_case)."""
    if user is None:
        return True
    allowed = set(_roles_acting_now(case))
    return bool(allowed & roles_from_holders(holders_by_role(case), principal_keys(user)))


def check_may_share(case, acting_user):
    """RoleNotAllowed unless ``acting_user`` may share the case (see may_share_case)."""
    if not may_share_case(case, acting_user):
        raise RoleNotAllowed(_roles_acting_now(case))


def _share_permission():
    return Permission.objects.get(
        content_type=ContentType.objects.get_for_model(Case), codename=SHARE_PERMISSION
    )


def _shares(case, user=None):
    rows = CaseUserObjectPermission.objects.filter(content_object=case, permission__codename=SHARE_PERMISSION)
    return rows if user is None else rows.filter(user=user)


def _granted_by_id(case, share):
    """Who granted ``share`` (a CaseUserObjectPermission, a user from case_shared_with, a user or an
    id): their id, or None (the system, a deleted user, or no such share)."""
    if isinstance(share, CaseUserObjectPermission):
        return share.granted_by_id
    if hasattr(share, "shared_by_id"):  # a row of case_shared_with: no query
        return share.shared_by_id
    user_id = getattr(share, "pk", share)
    return _shares(case).filter(user_id=user_id).values_list("granted_by_id", flat=True).first()


def may_unshare_case(case, user, share, *, may_share=None):
    """Whether ``user`` may take back the share of the case with one person: the system (None); the
    user who granted that share, in any state of the case (rejected, closed... included); and those
    who may share the case now (may_share_case), whoever granted it. The one rule of do_unshare_case,
    for the UI and the API.

    ``share``: the shared person as listed by case_shared_with (who granted it is read without a
    query), a user or their id, or the CaseUserObjectPermission row. ``may_share``: the answer of
    may_share_case(case, user) when the caller already has it (spares its queries in a list).
    """
    if user is None:
        return True
    granted_by_id = _granted_by_id(case, share)
    if granted_by_id is not None and granted_by_id == getattr(user, "pk", None):
        return True
    return may_share_case(case, user) if may_share is None else bool(may_share)


def check_may_unshare(case, acting_user, share):
    """RoleNotAllowed unless ``acting_user`` may take the share back (see may_unshare_case)."""
    if not may_unshare_case(case, acting_user, share):
        raise RoleNotAllowed(
            _roles_acting_now(case),
            _(
                "Only those who may act on this case now, or who shared it with this person, "
                "may take the share back."
            ),
        )


def may_see_shares(case, user, *, may_share=None):
    """Whether ``user`` may list the case's shares: those who may share it now (None: the system), and
    those who granted at least one of its shares, in any state (the list names people they chose).
    ``may_share``: may_share_case(case, user) when the caller already has it."""
    if user is None or (may_share_case(case, user) if may_share is None else may_share):
        return True
    return bool(getattr(user, "pk", None)) and _shares(case).filter(granted_by_id=user.pk).exists()


def check_may_see_shares(case, acting_user):
    """RoleNotAllowed unless ``acting_user`` may list the case's shares (see may_see_shares)."""
    if not may_see_shares(case, acting_user):
        raise RoleNotAllowed(
            _roles_acting_now(case),
            _("Only those who may act on this case now, or who shared it, may see who it is shared with."),
        )


def case_shared_with(case):
    """The users the case is shared with (active or not), by username, each annotated with
    ``shared_at`` (when), ``shared_by`` (the username of who granted it; None: the system or a deleted
    user) and ``shared_by_id``."""
    share = _shares(case).filter(user=OuterRef("pk")).order_by("granted_at")
    return (
        get_user_model()
        .objects.filter(pk__in=_shares(case).values("user_id"))
        .annotate(
            shared_at=Subquery(share.values("granted_at")[:1]),
            shared_by_id=Subquery(share.values("granted_by_id")[:1]),
            shared_by=Subquery(share.values("granted_by__username")[:1]),
        )
        .order_by("username")
    )


def _share_event(case, event, user, acting_user, now, reason):
    effects = Effects()
    effects.record(
        case,
        event,
        actor=_system_or(acting_user),
        at=now,
        from_state=case.state,
        to_state=case.state,
        reason=reason,
        data={"user": user.pk, "username": user.username, "permission": SHARE_PERMISSION},
        payload={"user": user.pk, "username": user.username, "reference": case.reference},
    )
    effects.flush()


def do_share_case(case, user, *, acting_user, reason=""):
    """Let ``user`` read the case although it is out of their scope (a django-guardian object
    permission ``view_shared_case``); it gives them no role, so no transition, comment or file.

    Allowed to the system and to the holders of a role that may fire a transition from the case's
    current state. Refuses an unknown or inactive user and the acting user themselves (InvalidFields
    on ``user``). Returns True, or False when the user already had the share (nothing written, the
    first granter kept). The share records ``granted_by`` (the acting user; None: the system), who
    may take it back later in any state (do_unshare_case). Audit entry and outbox event ``shared`` /
    ``case.shared`` (``data.user``: the user's id).
    """
    check_may_share(case, acting_user)
    if user is None or not getattr(user, "pk", None):
        raise InvalidFields({"user": _("Unknown user: give the username or id of an active user.")})
    if not user.is_active:
        raise InvalidFields(
            {"user": _("%(user)s is inactive: a case cannot be shared with them.") % {"user": user.username}}
        )
    if acting_user is not None and user.pk == acting_user.pk:
        raise InvalidFields({"user": _("You cannot share a case with yourself.")})
    now = timezone.now()
    with transaction.atomic():
        _share, created = CaseUserObjectPermission.objects.get_or_create(
            user=user,
            permission=_share_permission(),
            content_object=case,
            defaults={"granted_at": now, "granted_by": _system_or(acting_user)},
        )
        if not created:
            return False
        _share_event(case, "shared", user, acting_user, now, reason)
    return True


def do_unshare_case(case, user, *, acting_user, reason=""):
    """Take back the share of the case with ``user``.

    Allowed to the system, to those who may share the case now (may_share_case: any of its shares),
    and to the user who granted that share, in any state of the case, closed included (see
    may_unshare_case); RoleNotAllowed to anyone else. InvalidFields on ``user`` if the case is not
    shared with them (to those who may share now; RoleNotAllowed to the others). Audit entry and
    outbox event ``unshared`` / ``case.unshared``, naming the acting user.
    """
    if user is None or not getattr(user, "pk", None):
        check_may_share(case, acting_user)
        raise InvalidFields({"user": _("Unknown user: give the username or id of an active user.")})
    now = timezone.now()
    with transaction.atomic():
        share = _shares(case, user).select_for_update().order_by("pk").first()
        if share is None:
            check_may_share(case, acting_user)
            raise InvalidFields(
                {"user": _("This case is not shared with %(user)s.") % {"user": user.username}}
            )
        check_may_unshare(case, acting_user, share)
        share.delete()
        _share_event(case, "unshared", user, acting_user, now, reason)


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


# --- comments and attachments -------------------------------------------------------------------------
def _any_role(case, acting_user):
    if acting_user is None:
        return set()
    roles = roles_from_holders(holders_by_role(case), principal_keys(acting_user))
    if not roles:
        raise RoleNotAllowed(case.version.definition["roles"])
    return roles


def do_comment(case, *, acting_user, body, internal=False):
    """Any role holder of the case may comment; internal comments are not shown to the requester."""
    _any_role(case, acting_user)
    body = (body or "").strip()
    if not body:
        raise InvalidFields({"body": _("this field is required")})
    now = timezone.now()
    with transaction.atomic():
        comment = Comment.objects.create(
            case=case, author=_system_or(acting_user), body=body, internal=internal, created_at=now
        )
        effects = Effects()
        effects.record(
            case,
            "commented",
            actor=_system_or(acting_user),
            at=now,
            data={"comment": comment.pk, "internal": internal},
            payload={"comment": comment.pk, "internal": internal},
        )
        effects.flush()
    return comment


MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


def do_attach(case, *, acting_user, file, description=""):
    _any_role(case, acting_user)
    if file is None:
        raise InvalidFields({"file": _("this field is required")})
    size = getattr(file, "size", 0) or 0
    if size > MAX_ATTACHMENT_BYTES:
        raise InvalidFields({"file": _("the file is larger than 10 MB")})
    now = timezone.now()
    name = (getattr(file, "name", "") or "file").rsplit("/", 1)[-1][:255]
    with transaction.atomic():
        attachment = Attachment(
            case=case,
            author=_system_or(acting_user),
            name=name,
            size_bytes=size,
            description=description,
            created_at=now,
        )
        attachment.file.save(name, file, save=False)
        attachment.save()
        effects = Effects()
        effects.record(
            case,
            "attached",
            actor=_system_or(acting_user),
            at=now,
            data={"attachment": attachment.pk, "name": name, "size_bytes": size},
            payload={"attachment": attachment.pk},
        )
        effects.flush()
    return attachment


# --- versions ---------------------------------------------------------------------------------------
def do_store_version(text, *, acting_user, publish=False):
    """Validate YAML text and store it as a new draft (or published) version; DefinitionInvalid otherwise."""
    from engine.definitions import parse_definition
    from engine.errors import DefinitionInvalid

    definition = parse_definition(text)
    code, number = definition["procedure"], definition["version"]
    _check_may_manage(Procedure.objects.filter(code=code).first(), acting_user)
    with transaction.atomic():
        procedure, created = Procedure.objects.get_or_create(
            code=code, defaults={"title": definition["title"].get("fr") or code}
        )
        if not created:
            procedure.title = definition["title"].get("fr") or procedure.title
            procedure.save(update_fields=["title"])
        if ProcedureVersion.objects.filter(procedure=procedure, number=number).exists():
            raise DefinitionInvalid(
                [
                    _("version: version %(number)s of '%(code)s' already exists (give a new version number)")
                    % {"number": number, "code": code}
                ]
            )
        version = ProcedureVersion.objects.create(
            procedure=procedure, number=number, source=text, definition=definition
        )
        _version_event(version, "stored", "", acting_user)
        if publish:
            version.publish()
            version.save()
            _version_event(version, "published", VersionStatus.DRAFT, acting_user)
    return version


def _check_may_manage(procedure, acting_user):
    """Storing, publishing and retiring versions: the system, or a user with the model permission or
    django-guardian's object permission on that procedure (a procedure's own administrators)."""
    if acting_user is None or acting_user.has_perm("engine.change_procedure"):
        return
    if procedure is not None and acting_user.has_perm("engine.change_procedure", procedure):
        return
    raise RoleNotAllowed(
        ["administrator"],
        _("Only administrators of this procedure may store, publish or retire its versions."),
    )


def _version_event(version, event, from_status, acting_user):
    VersionEvent.objects.create(
        version=version,
        actor=_system_or(acting_user),
        event=event,
        from_status=from_status,
        to_status=version.status,
    )


def _change_version_status(version, change, event, acting_user):
    _check_may_manage(version.procedure, acting_user)
    from_status = version.status
    try:
        with transaction.atomic():
            change(version)
            version.save()
            _version_event(version, event, from_status, acting_user)
    except ConcurrentTransition:
        raise ConcurrentChange(_("This version was changed meanwhile; reload it.")) from None
    return version


def do_publish_version(version, *, acting_user):
    return _change_version_status(version, lambda v: v.publish(), "published", acting_user)


def do_retire_version(version, *, acting_user):
    return _change_version_status(version, lambda v: v.retire(), "retired", acting_user)


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


__all__ = [
    "VersionStatus",
    "case_shared_with",
    "check_may_see_shares",
    "check_may_share",
    "check_may_unshare",
    "clean_fields",
    "do_answer_alert",
    "do_assign_role",
    "do_attach",
    "do_close_alert",
    "do_comment",
    "do_fire_transition",
    "do_migrate_cases",
    "do_open_case",
    "do_publish_version",
    "do_raise_alert",
    "do_recompute_deadlines",
    "do_retire_version",
    "do_share_case",
    "do_store_version",
    "do_unshare_case",
    "may_see_shares",
    "may_share_case",
    "may_unshare_case",
]
