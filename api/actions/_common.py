"""actions: the audit entry."""

from api.models import ApiAuditEntry


def _system_or(user):
    return user if user is not None and getattr(user, "pk", None) else None


def audit(event, obj, *, acting_user, owner, **data):
    return ApiAuditEntry.objects.create(
        actor=_system_or(acting_user), event=event, object_id=obj.pk, owner=_system_or(owner), data=data
    )
