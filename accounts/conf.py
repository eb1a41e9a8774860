"""Settings of access and personal data, with their defaults (environment variables in gup/settings.py)."""

from datetime import timedelta

from django.conf import settings


def invitation_validity():
    return timedelta(days=int(getattr(settings, "GUP_INVITATION_VALID_DAYS", 7)))


def retention_period():
    return timedelta(days=int(getattr(settings, "GUP_PERSONAL_DATA_RETENTION_DAYS", 5 * 365)))
