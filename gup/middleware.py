"""Refuse a NUL character in the URL (path or query string) with 400 before any view reads it.

PostgreSQL refuses NUL in text, so a filter or lookup carrying one answered 500. The request's fields
(form and JSON bodies) are checked by the API's parsers (api/parsers.py), Django's forms and Open311.
"""

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
