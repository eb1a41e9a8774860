"""One error format for the whole API, and the mapping of engine errors to HTTP statuses.

Every error body is ``{"status": <int>, "code": <str>, "detail": <str>, "errors": {<field>: [<str>]}}``;
``errors`` is present for invalid input and names each field that is wrong.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class Unprocessable(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "unprocessable"


def engine_exception_to_api(exc):
    """The API exception for an engine error, or None if `exc` is not one."""
    try:
        from engine import errors as engine_errors
    except ImportError:  # pragma: no cover - the engine always ships errors
        return None
    if not isinstance(exc, engine_errors.EngineError):
        return None
    message = str(exc)
    if isinstance(exc, engine_errors.RoleNotAllowed):
        return exceptions.PermissionDenied(message, code="role_not_allowed")
    if isinstance(exc, engine_errors.ConcurrentChange):
        return Conflict(message or _("The request was changed by someone else; reload it."))
    if isinstance(exc, engine_errors.GuardFailed):
        field = getattr(exc, "field", None) or "non_field_errors"
        return exceptions.ValidationError({field: [getattr(exc, "message", message)]}, code="guard_failed")
    if isinstance(exc, engine_errors.DefinitionInvalid):
        return exceptions.ValidationError(
            {"source": [str(p) for p in exc.problems]}, code="definition_invalid"
        )
    if isinstance(exc, engine_errors.InvalidFields):
        return exceptions.ValidationError(
            {field: [str(msg)] for field, msg in exc.errors.items()}, code="invalid_fields"
        )
    return exceptions.ValidationError({"non_field_errors": [message]}, code="invalid_transition")


def _codes(exc):
    """The error's code; for invalid input, the one code shared by every message, else "invalid"."""
    try:
        codes = exc.get_codes()
    except AttributeError:
        return "error"
    leaves = set()

    def collect(value):
        if isinstance(value, dict):
            for item in value.values():
                collect(item)
        elif isinstance(value, list | tuple):
            for item in value:
                collect(item)
        else:
            leaves.add(str(value))

    collect(codes)
    return leaves.pop() if len(leaves) == 1 else "invalid"


def _flatten(detail):
    if isinstance(detail, dict):
        return {str(key): _flatten_list(value) for key, value in detail.items()}
    return {"non_field_errors": _flatten_list(detail)}


def _flatten_list(value):
    if isinstance(value, list | tuple):
        out = []
        for item in value:
            if isinstance(item, dict):
                out.append({str(k): _flatten_list(v) for k, v in item.items()})
            else:
                out.append(str(item))
        return out
    if isinstance(value, dict):
        return {str(k): _flatten_list(v) for k, v in value.items()}
    return [str(value)]


def _first_message(value):
    """The first message found in a (possibly nested) list or dict of messages."""
    if isinstance(value, dict):
        for item in value.values():
            return _first_message(item)
        return ""
    if isinstance(value, list | tuple):
        for item in value:
            return _first_message(item)
        return ""
    return str(value)


def error_body(status_code, code, detail, errors=None):
    body = {"status": status_code, "code": code, "detail": str(detail)}
    if errors:
        body["errors"] = errors
    return body


def exception_handler(exc, context):
    from django_fsm import TransitionNotAllowed

    if isinstance(exc, TransitionNotAllowed):  # a state change the object's current state does not allow
        exc = exceptions.ValidationError({"non_field_errors": [str(exc)]}, code="invalid_transition")
    mapped = engine_exception_to_api(exc)
    if mapped is not None:
        exc = mapped
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Not found."))
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        first = next(iter(errors.items()), None)
        detail = _("Invalid input.")
        if first:
            field, messages = first
            message = _first_message(messages)
            detail = (
                message
                if field == "non_field_errors"
                else _("%(field)s: %(message)s") % {"field": field, "message": message}
            )
        code = _codes(exc)
        response.data = error_body(response.status_code, code, detail, errors)
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        if isinstance(detail, dict | list):
            response.data = error_body(response.status_code, "invalid", _("Invalid input."), _flatten(detail))
        else:
            response.data = error_body(response.status_code, _codes(exc), detail)
    return response


def error_response(status_code, code, detail, errors=None):
    return Response(error_body(status_code, code, detail, errors), status=status_code)
