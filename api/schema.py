"""OpenAPI post-processing: every operation documents its error responses with the one error body."""

import re

ERROR_SCHEMA = {
    "type": "object",
    "description": "The body of every error response.",
    "properties": {
        "status": {"type": "integer", "description": "The HTTP status, repeated."},
        "code": {"type": "string", "description": "A stable machine-readable code."},
        "detail": {"type": "string", "description": "What is wrong, in words."},
        "errors": {
            "type": "object",
            "description": "For invalid input: field name -> messages.",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["status", "code", "detail"],
}

DESCRIPTIONS = {
    "400": "Invalid input: the body's `errors` names each wrong field (or query parameter).",
    "401": "Not authenticated: no session, or a missing, invalid or revoked token.",
    "403": "Authenticated, but the caller's role does not allow this (the reason is given).",
    "404": "Not found, or outside what the caller may see.",
    "409": "Conflicting change: someone else changed the object, or the same Idempotency-Key is in use.",
    "422": "The Idempotency-Key was already used with another body or route.",
    "429": "Too many writes, or (token endpoint) too many failed logins: wait (Retry-After header).",
}

WRITE_METHODS = {"post", "put", "patch", "delete"}
PUBLIC_PATHS = {"/api/v1/auth/token/"}


def add_error_responses(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for path, operations in result.get("paths", {}).items():
        has_path_params = bool(re.search(r"\{[^}]+\}", path))
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            codes = ["400"]
            if path not in PUBLIC_PATHS:
                codes += ["401", "403"]
            if has_path_params:
                codes.append("404")
            if method in WRITE_METHODS:
                codes += ["409", "422", "429"]
            responses = operation["responses"]
            for code in codes:
                responses.setdefault(
                    code,
                    {"description": DESCRIPTIONS[code], "content": {"application/json": {"schema": ref}}},
                )
    return result
