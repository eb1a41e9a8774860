"""actions: one-off shares."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from engine.access import holders_by_role, principal_keys, roles_from_holders
from engine.actions._common import _roles_acting_now, _system_or
from engine.context import Effects
from engine.errors import InvalidFields, RoleNotAllowed
from engine.models import (
    SHARE_PERMISSION,
    Case,
    CaseUserObjectPermission,
)


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
