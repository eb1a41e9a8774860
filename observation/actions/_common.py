"""Shared pieces of the observation's actions: the permission refusal and the audit entry."""

from engine.errors import RoleNotAllowed
from observation.models import ObservationAuditEntry


def check(allowed, message):
    if not allowed:
        raise RoleNotAllowed([], message)


def audit(event, target, acting_user, **data):
    return ObservationAuditEntry.objects.create(
        actor=acting_user, event=event, target=target[:200], data=data
    )
