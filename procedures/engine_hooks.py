"""What the intervention-request procedure needs from the engine's registry: domain guards, the
service-level duration resolver and the notifications outbox consumer. Imported from
ProceduresConfig.ready()."""

import threading
from contextlib import contextmanager
from datetime import timedelta

from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from engine.durations import parse_duration
from engine.errors import GuardFailed, InvalidFields
from engine.registry import Param, action, guard, register_consumer, register_duration_resolver
from procedures import conf

_being_filed = threading.local()


@contextmanager
def filing(request):
    """While a request's case is being opened, guards and resolvers use this object (no re-read)."""
    _being_filed.request = request
    try:
        yield
    finally:
        _being_filed.request = None


def request_of(case):
    from procedures.models import InterventionRequest

    cached = getattr(case, "_intervention_request", None)
    if cached is not None:
        return cached
    request_id = (case.data or {}).get("request_id")  # cases opened before 2026-12 name their request
    filed = getattr(_being_filed, "request", None)
    if filed is not None and (
        request_id == filed.pk if request_id else filed.case_id is None and case.reference == filed.reference
    ):
        case._intervention_request = filed  # the request being filed, not saved yet
        return filed
    queryset = InterventionRequest.objects.select_related("category")
    request = queryset.filter(pk=request_id).first() if request_id else queryset.filter(case=case).first()
    if request is None:
        raise InvalidFields({"case": _("This case is not an intervention request.")})
    case._intervention_request = request
    return request


@guard("request_handler_set")
def request_handler_set(ctx):
    """The request has a handler (a unit, or an organisation without a unit)."""
    request = request_of(ctx.case)
    if not (request.handler_unit_id or request.handler_organisation_id):
        raise GuardFailed("handler_unit", _("Set the unit that must act before qualifying the request."))


@guard("request_planned_date_not_past")
def request_planned_date_not_past(ctx):
    """The planned date is today or later."""
    value = ctx.value("planned_date")
    day = parse_date(value) if isinstance(value, str) else value
    if day is not None and day < timezone.localdate(ctx.now or timezone.now()):
        raise GuardFailed("planned_date", _("The planned date cannot be in the past."))


@guard("request_within_reopen_window")
def request_within_reopen_window(ctx):
    """The commune reopens within the configured number of days after the request was done."""
    request = request_of(ctx.case)
    days = conf.get("GUP_REOPEN_WINDOW_DAYS")
    now = ctx.now or timezone.now()
    if request.resolved_at is None or now > request.resolved_at + timedelta(days=days):
        raise GuardFailed(
            None,
            _("A request can be reopened within %(days)d days of its resolution; file a new request instead.")
            % {"days": days},
        )


@guard("request_master_is_open")
def request_master_is_open(ctx):
    """The master request named in the field ``master`` exists, is another request and is not closed."""
    from procedures.models import InterventionRequest

    request = request_of(ctx.case)
    reference = (ctx.value("master") or "").strip()
    master = InterventionRequest.objects.filter(reference=reference).first()
    if master is None:
        raise GuardFailed("master", _("No request has the reference %(ref)s.") % {"ref": reference})
    if master.pk == request.pk:
        raise GuardFailed("master", _("A request cannot be a duplicate of itself."))
    if master.closed_at is not None or master.duplicate_of_id:
        raise GuardFailed("master", _("The request %(ref)s is closed.") % {"ref": reference})


@action("request_effect", params={"effect": Param(str)})
def request_effect(ctx, effect):
    """What the transition does to the request and tells the commune, applied once it is done
    (procedures.actions.transitions: ``effect`` is one of REQUEST_EFFECTS: acknowledge, qualify, plan,
    start_work, wait, finish, auto_close, confirm, reopen, reject)."""
    from procedures.actions.transitions import REQUEST_EFFECTS

    if effect not in REQUEST_EFFECTS:
        raise InvalidFields({"effect": _("Unknown request effect '%(effect)s'.") % {"effect": effect}})
    ctx.case.__dict__.setdefault("_request_effects", []).append(effect)


def service_level_duration(case, key):
    """``service_level.acknowledge`` / ``service_level.resolve``: the request's targets, in business hours."""
    from procedures.service_levels import targets_for_request

    if key not in ("acknowledge", "resolve"):
        raise InvalidFields({"duration": _("Unknown service level target '%(key)s'.") % {"key": key}})
    targets = targets_for_request(request_of(case))
    hours = targets.acknowledge_hours if key == "acknowledge" else targets.resolve_hours
    return parse_duration(f"{max(hours, 1)} business_hours")


def register():
    register_duration_resolver("service_level", service_level_duration)
    from procedures.notifications import consume, consume_batch

    register_consumer("procedures.notifications", consume, batch=consume_batch)
