"""Settings of the steering module, with their defaults (override them in gup/settings.py)."""

from django.conf import settings

DEFAULTS = {
    # Meeting documents and questionnaire files: PDF and office files checked by content, at most this size.
    "STEERING_DOCUMENT_MAX_BYTES": 20 * 1024 * 1024,
    # The owner of an open action is reminded this many days before its due date (0: no early reminder).
    "STEERING_ACTION_REMINDER_DAYS": 7,
}


def get(name):
    return getattr(settings, name, DEFAULTS[name])
