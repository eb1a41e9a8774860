from django.utils.translation import gettext as _

from diagnostics.models import DiagnosticAuditEntry
from directory.roles import Role
from engine.errors import RoleNotAllowed
from engine.outbox import emit
from procedures.scope import is_administrator


def check(allowed, message):
    if not allowed:
        raise RoleNotAllowed([], message)


def audit(event, target, acting_user, **data):
    return DiagnosticAuditEntry.objects.create(actor=acting_user, event=event, target=target[:200], data=data)


def event(kind, **payload):
    emit(f"diagnostics.{kind}", case_id=None, payload=payload)


def is_admin(user):
    return user is None or (user.is_active and is_administrator(user))


def is_referent_of(user, commune_id):
    """A GUP referent or requester of the commune."""
    return bool(
        user is not None
        and user.is_active
        and user.organisation_id == commune_id
        and (user.has_role(Role.REFERENT) or user.has_role(Role.REQUESTER))
    )


def may_organise(user, commune_id):
    """Who prepares and runs a commune's diagnostic: its referents, the DVQ, administrators."""
    return is_admin(user) or is_referent_of(user, commune_id) or bool(user.has_role(Role.DVQ_OFFICER))


def not_allowed(message=None):
    return RoleNotAllowed([], message or _("You may not do this on this diagnostic."))
