"""Settings of the intervention requests, with their defaults (override them in gup/settings.py)."""

from django.conf import settings

DEFAULTS = {
    # Duplicate candidates: same category group, within this distance and time window, not closed.
    "GUP_DUPLICATE_DISTANCE_M": 50,
    "GUP_DUPLICATE_WINDOW_DAYS": 30,
    # Uploads: images (JPEG, PNG, GIF, WebP) and PDF only, checked by content; size limit per file.
    "GUP_UPLOAD_MAX_BYTES": 10 * 1024 * 1024,
    "GUP_UPLOAD_MAX_FILES": 10,
    # The commune may reopen a done or closed request within this many days of its resolution.
    "GUP_REOPEN_WINDOW_DAYS": 15,
    # Without the commune's answer, a done request closes itself after this many days.
    "GUP_AUTO_CLOSE_DAYS": 10,
    # Used when no service level row matches a request (business hours).
    "GUP_DEFAULT_ACKNOWLEDGE_HOURS": 16,
    "GUP_DEFAULT_RESOLVE_HOURS": 80,
}


def get(name):
    return getattr(settings, name, DEFAULTS[name])
