"""What every steering action shares: who organises, the refusal, the audit entry, the outbox event."""

from django.utils.translation import gettext as _

from directory.roles import Role
from engine import outbox
from engine.errors import InvalidFields, RoleNotAllowed
from steering.models import SteeringAuditEntry


def is_organiser(user):
    """The DVQ and the administrators organise meetings and follow up the actions (``None``: the system)."""
    if user is None:
        return True
    if not user.is_active:
        return False
    return bool(
        user.is_superuser
        or user.has_role(Role.ADMINISTRATOR)
        or user.has_role(Role.DVQ_OFFICER)
        or user.has_perm("steering.add_meeting")
    )


def check(allowed, message):
    if not allowed:
        raise RoleNotAllowed([], message)


def invalid(**errors):
    """Refuse bad input: a 400 naming each field, in the current language."""
    raise InvalidFields(errors)


def audit(event, target, acting_user, **data):
    return SteeringAuditEntry.objects.create(actor=acting_user, event=event, target=target[:200], data=data)


def emit(kind, **payload):
    outbox.emit(kind, case_id=None, payload=payload)


def not_allowed_text():
    return _("You may not do this in the GUP steering.")
