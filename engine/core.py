"""The core guards and actions every procedure can use (registered when the engine app is ready)."""

from django.utils.translation import gettext as _

from engine.errors import GuardFailed
from engine.registry import ALERT, ANY, DEADLINE, FIELD, ROLE, Param, action, guard


def _empty(value):
    return value is None or (isinstance(value, str | list | dict) and not value)


@guard("field_required", params={"field": FIELD})
def field_required(ctx, field):
    """The field has a value, given with the transition or already on the case."""
    if _empty(ctx.value(field)):
        raise GuardFailed(field, _("The field '%(field)s' is required for this step.") % {"field": field})


@guard("role_holder_exists", params={"role": ROLE})
def role_holder_exists(ctx, role):
    """Someone holds the role on the case."""
    if not ctx.holders.get(role):
        raise GuardFailed(None, _("Nobody holds the role '%(role)s' on this case yet.") % {"role": role})


@guard("comment_required")
def comment_required(ctx):
    """The transition comes with a comment (its reason)."""
    if not (ctx.reason or "").strip():
        raise GuardFailed("reason", _("A comment is required for this step."))


@action("notify", params={"role": ROLE, "message": Param(str, required=False)})
def notify(ctx, role, message=None):
    """Queue a "notification" outbox event for the holders of a role; the domain sends it."""
    ctx.emit(
        "notification",
        {
            "role": role,
            "message": message or ctx.transition or "escalation",
            "parties": ctx.holders_of(role),
            "transition": ctx.transition,
        },
    )


@action(
    "raise_alert",
    params={"to": ROLE, "alert": Param(ALERT, required=False), "reason": Param(str, required=False)},
)
def raise_alert(ctx, to, alert=None, reason=""):
    """Raise an alert (the built-in ``escalation`` one unless named) to the holders of a role."""
    ctx.raise_alert(alert, to, reason)


@action("set_field", params={"field": FIELD, "value": ANY})
def set_field(ctx, field, value):
    """Set a field of the case's data."""
    ctx.set_field(field, value)


@action("start_deadline", params={"deadline": DEADLINE})
def start_deadline(ctx, deadline):
    """Start (or restart) a deadline of the definition."""
    ctx.start_deadline(deadline)


@action("stop_deadline", params={"deadline": DEADLINE})
def stop_deadline(ctx, deadline):
    """Stop a running or paused deadline (met if on time, breached otherwise)."""
    ctx.stop_deadline(deadline)
