"""Request pages: shared helpers (error statuses, htmx detection, page sizes)."""

from engine.errors import ConcurrentChange, RoleNotAllowed

# --- helpers -------------------------------------------------------------------------------------------
PAGE_SIZE = 50
MAX_POINTS = 2000


def error_status(error):
    if isinstance(error, RoleNotAllowed):
        return 403
    if isinstance(error, ConcurrentChange):
        return 409
    return 400


def is_htmx(request):
    return request.headers.get("HX-Request") == "true"
