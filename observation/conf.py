"""Settings of the observation app, with their defaults (override them in gup/settings.py)."""

from django.conf import settings

DEFAULTS = {
    # A cell with fewer requests shows its count but no rate and no ranking.
    "GUP_OBSERVATION_MIN_CELL": 5,
    # The longest period the figures may cover in one query (days).
    "GUP_OBSERVATION_MAX_PERIOD_DAYS": 3 * 366,
}


def get(name):
    return getattr(settings, name, DEFAULTS[name])
