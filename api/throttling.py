"""Write throttling per user (settings.API_WRITE_THROTTLE_RATE, e.g. "120/min"; empty turns it off)."""

import math
from types import SimpleNamespace

from django.conf import settings
from rest_framework.permissions import SAFE_METHODS
from rest_framework.throttling import SimpleRateThrottle


class WriteRateThrottle(SimpleRateThrottle):
    scope = "writes"

    def get_rate(self):
        return getattr(settings, "API_WRITE_THROTTLE_RATE", None) or None

    def allow_request(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"ip-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


def throttle_write(user, meta):
    """Count one write of `user` outside DRF (Open311): the wait in seconds if over the rate, else None.

    Same counter as the REST writes: a user's budget is shared between /api/v1/ and /open311/v2/.
    """
    throttle = WriteRateThrottle()
    if throttle.allow_request(SimpleNamespace(method="POST", user=user, META=meta), None):
        return None
    wait = throttle.wait()
    return max(1, math.ceil(wait)) if wait is not None else 1
