"""Refuse a NUL character in the URL (path or query string) with 400 before any view reads it; end idle
sessions without writing the session row on every request.

PostgreSQL refuses NUL in text, so a filter or lookup carrying one answered 500. The request's fields
(form and JSON bodies) are checked by the API's parsers (api/parsers.py), Django's forms and Open311.
"""

import time

from django.conf import settings
from django.http import HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _


class RefuseNulInUrlMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        field = None
        if "\x00" in request.path:
            field = "path"
        else:
            for name, values in request.GET.lists():
                if "\x00" in name or any("\x00" in value for value in values):
                    field = name.replace("\x00", "")
                    break
        if field is None:
            return self.get_response(request)
        message = _("%(name)s: NUL characters are not allowed.") % {"name": field}
        if request.path.startswith("/api/"):
            body = {
                "status": 400,
                "code": "invalid_text",
                "detail": message,
                "errors": {field: [_("NUL characters are not allowed.")]},
            }
            return JsonResponse(body, status=400)
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


class IdleSessionMiddleware:
    """Sessions end after SESSION_COOKIE_AGE without activity (SESSION_IDLE_SECONDS): activity pushes the end
    back, but at most once every SESSION_REFRESH_SECONDS (default a tenth of the idle time, at most five
    minutes), so that a page view does not write the session row every time. Runs after SessionMiddleware
    (listed below it): the session is saved, with its new expiry, on the way out."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or not session.accessed or session.session_key is None or session.is_empty():
            return response  # nothing read: an anonymous visit or a static file never loads a session
        now = int(time.time())
        every = getattr(settings, "SESSION_REFRESH_SECONDS", None)
        every = every or min(300, settings.SESSION_COOKIE_AGE // 10)
        if now - session.get(REFRESHED_AT, 0) >= every:
            mark_session_active(session, now)  # modified: SessionMiddleware saves it with a new expiry
        return response


REFRESHED_AT = "_refreshed_at"


def mark_session_active(session, now=None):
    """Record that the session was active now (its expiry is pushed back when it is saved)."""
    session[REFRESHED_AT] = int(time.time()) if now is None else now
