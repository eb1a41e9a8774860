"""actions: helpers."""

import datetime

from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from engine import registry
from engine.errors import InvalidFields, RoleNotAllowed


# --- helpers ----------------------------------------------------------------------------------------
def _check_roles(allowed, roles, acting_user):
    if acting_user is None:  # the system
        return
    if not set(allowed) & set(roles):
        raise RoleNotAllowed(allowed)


def clean_fields(specs, given):
    """Check and convert the fields given with a transition; raise InvalidFields naming each one at fault."""
    if given is not None and not isinstance(given, dict):
        raise InvalidFields({"fields": _("Give the fields as an object (name: value).")})
    given = dict(given or {})
    errors, clean = {}, {}
    for name in given:
        if not isinstance(name, str):
            errors[str(name)] = _("unknown field (expected: %(names)s)") % {"names": ", ".join(specs) or "-"}
        elif name not in specs:
            errors[name] = _("unknown field (expected: %(names)s)") % {"names": ", ".join(specs) or "-"}
    for name, spec in specs.items():
        value = given.get(name)
        if value is None or value == "":
            if spec["required"]:
                errors[name] = _("this field is required")
            continue
        kind = spec["type"]
        try:
            if kind in ("text", "string"):
                if not isinstance(value, str):
                    raise ValueError(_("must be text"))
                value = value.strip()
            elif kind == "integer":
                value = _convert(value, int, _("must be a whole number"))
            elif kind == "number":
                value = _convert(value, float, _("must be a number"))
            elif kind == "boolean":
                if not isinstance(value, bool):
                    raise ValueError(_("must be true or false"))
            elif kind == "date":
                if isinstance(value, datetime.date):
                    value = value.isoformat()
                elif not isinstance(value, str) or parse_date(value) is None:
                    raise ValueError(_("must be a date (YYYY-MM-DD)"))
            elif kind == "choice" and str(value) not in spec["choices"]:
                raise ValueError(_("must be one of %(choices)s") % {"choices": ", ".join(spec["choices"])})
        except (TypeError, ValueError) as error:
            message = str(error)
            errors[name] = (
                message if message and not message.startswith("invalid literal") else _("invalid value")
            )
            continue
        clean[name] = value
    if errors:
        raise InvalidFields(errors)
    return clean


def _convert(value, kind, message):
    if isinstance(value, bool):
        raise ValueError(message)
    try:
        converted = kind(value)
    except (TypeError, ValueError):
        raise ValueError(message) from None
    if kind is int and isinstance(value, float) and not value.is_integer():
        raise ValueError(message)
    if kind is float and converted != converted:  # NaN
        raise ValueError(message)
    return converted


def run_guards(ctx, guards):
    for call in guards:
        registry.GUARDS[call["name"]].function(ctx, **call["params"])


def run_actions(ctx, calls):
    for call in calls:
        registry.ACTIONS[call["name"]].function(ctx, **call["params"])


def _system_or(user):
    return user if user is not None and getattr(user, "pk", None) else None


def _roles_acting_now(case):
    """The roles that may fire a transition from the case's current state: by default, who may change
    its role holders (do_assign_role) and share it (do_share_case)."""
    definition = case.version.definition
    return sorted(
        {r for t in definition["transitions"].values() if case.state in t["from"] for r in t["roles"]}
    )
