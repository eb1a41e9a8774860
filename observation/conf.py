"""Settings of the observation app, with their defaults (override them in gup/settings.py)."""

from django.conf import settings

DEFAULTS = {
    # A cell with fewer requests shows its count but no rate and no ranking.
    "GUP_OBSERVATION_MIN_CELL": 5,
    # The longest period the figures may cover in one query (days).
    "GUP_OBSERVATION_MAX_PERIOD_DAYS": 3 * 366,
    # The worker refreshes the monthly aggregates of the changed months at most this often (seconds).
    "GUP_OBSERVATION_REFRESH_SECONDS": 60,
    # How long a chart's SVG stays in the cache (its key is the digest of its data).
    "GUP_OBSERVATION_CHART_CACHE_SECONDS": 24 * 3600,
}


def get(name):
    return getattr(settings, name, DEFAULTS[name])
