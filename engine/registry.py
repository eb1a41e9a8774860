"""Named guards, actions, duration resolvers and outbox consumers that procedure definitions refer to.

Definitions never contain code: they name a guard or an action and give it parameters. Each entry
declares its parameters with a type, and definition validation checks them (missing, unknown, wrong
type, or naming a role / state / deadline / alert / field the definition does not declare).

Domain apps register their own entries from their ``AppConfig.ready()``::

    from engine.registry import ROLE, Param, action, guard

    @guard("category_is_set")
    def category_is_set(ctx):
        ...  # raise GuardFailed(field, message) when not satisfied

    @action("log_something", params={"role": ROLE, "message": Param(str, required=False)})
    def log_something(ctx, role, message=""):
        ...
"""

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class Ref(str):
    """A parameter type naming something the definition declares (a role, a state...)."""

    __slots__ = ()


ROLE = Ref("role")
STATE = Ref("state")
DEADLINE = Ref("deadline")
ALERT = Ref("alert")
FIELD = Ref("field")
DURATION = Ref("duration")
ANY = Ref("any")

_TYPE_NAMES = {
    str: gettext_lazy("a string"),
    int: gettext_lazy("an integer"),
    float: gettext_lazy("a number"),
    bool: gettext_lazy("true or false"),
    list: gettext_lazy("a list"),
}


@dataclass(frozen=True)
class Param:
    type: Any
    required: bool = True
    default: Any = None

    def describe(self):
        if isinstance(self.type, Ref):
            return {
                ROLE: _("a declared role"),
                STATE: _("a declared state"),
                DEADLINE: _("a declared deadline"),
                ALERT: _("a declared alert"),
                FIELD: _("a field name"),
                DURATION: _("a duration such as '2 business_days'"),
                ANY: _("any value"),
            }[self.type]
        return _TYPE_NAMES.get(self.type, getattr(self.type, "__name__", str(self.type)))


@dataclass(frozen=True)
class Entry:
    kind: str  # "guard" or "action"
    name: str
    function: Any
    params: dict  # name -> Param
    description: str = ""


GUARDS: dict[str, Entry] = {}
ACTIONS: dict[str, Entry] = {}
DURATION_RESOLVERS: dict[str, Any] = {}
CONSUMERS: dict[str, Any] = {}
BATCH_CONSUMERS: dict[str, Any] = {}


def _normalise_params(params):
    return {name: spec if isinstance(spec, Param) else Param(spec) for name, spec in (params or {}).items()}


def _register(table, kind, name, params, description):
    def decorator(function):
        if name in table and table[name].function is not function:
            raise ValueError(f"{kind} {name!r} is already registered")
        table[name] = Entry(
            kind, name, function, _normalise_params(params), description or function.__doc__ or ""
        )
        return function

    return decorator


def guard(name, params=None, description=""):
    """Register a guard ``fn(ctx, **params)``: returns None when satisfied, raises GuardFailed otherwise."""
    return _register(GUARDS, "guard", name, params, description)


def action(name, params=None, description=""):
    """Register an action ``fn(ctx, **params)``: changes the case through ``ctx`` (see engine.context)."""
    return _register(ACTIONS, "action", name, params, description)


def register_duration_resolver(name, function):
    """``function(case, key) -> durations.Duration`` resolves ``duration: <name>.<key>`` at runtime."""
    DURATION_RESOLVERS[name] = function


def register_consumer(name, function, *, batch=None):
    """``function(event)`` receives every outbox event after commit, at least once, in order of id.

    With ``batch``, ``batch(events)`` receives the events of one delivery round together (in order of
    id), so that a consumer reads what it needs once per round and writes in bulk; if it raises, the
    round falls back to ``function(event)`` one event at a time, so only the failing event waits."""
    CONSUMERS[name] = function
    if batch is None:
        BATCH_CONSUMERS.pop(name, None)
    else:
        BATCH_CONSUMERS[name] = (function, batch)


def batch_of(name, function):
    """The batch form registered with the per-event ``function`` under ``name``, or None."""
    function_and_batch = BATCH_CONSUMERS.get(name)
    if function_and_batch is None or function_and_batch[0] is not function:
        return None
    return function_and_batch[1]


def unregister(table, name):
    table.pop(name, None)
    if table is CONSUMERS:
        BATCH_CONSUMERS.pop(name, None)
