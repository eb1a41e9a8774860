"""actions: notifications."""

from django.utils import timezone
from django.utils.translation import gettext as _

from engine.errors import InvalidFields


# --- notifications -----------------------------------------------------------------------------------------
def do_set_notification_preference(user, event, *, by_email, in_app):
    """Choose how ``user`` is told of ``event`` (a NotificationEvent value)."""
    from procedures.models import NotificationEvent, NotificationPreference

    if event not in NotificationEvent.values:
        raise InvalidFields(
            {"event": _("Choose one of: %(events)s.") % {"events": ", ".join(NotificationEvent.values)}}
        )
    if not isinstance(by_email, bool) or not isinstance(in_app, bool):
        raise InvalidFields({"channels": _("by_email and in_app must be true or false.")})
    preference, _created = NotificationPreference.objects.update_or_create(
        user=user, event=event, defaults={"by_email": by_email, "in_app": in_app}
    )
    return preference


def do_mark_notifications_read(user, ids=None):
    """Mark the user's unread in-app notifications (all, or those whose ids are given) as read."""
    from procedures.models import Notification

    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())
