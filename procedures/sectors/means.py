"""Time spent on done requests, recorded by the handling unit; for the pooled means (régie) of a sub-sector
procedure, their consumption warnings (80 % and 100 %)."""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from engine import actions as engine
from engine.errors import InvalidFields, RoleNotAllowed
from procedures.scope import is_administrator
from procedures.sectors import figures
from procedures.sectors.actions import _decimal, audit, event
from procedures.sectors.models import SectorTimeSpent

MAX_HOURS = Decimal("100000")  # hours = DecimalField(max_digits=8, decimal_places=2)


def means_of(request):
    """The pooled means of the request's sector version whose unit handles it, or None."""
    if not request.sector_version_id or not request.handler_unit_id:
        return None
    return request.sector_version.pooled_means.filter(unit_id=request.handler_unit_id).first()


def may_record_time_spent(acting_user, request):
    """An administrator, or a member (agent or supervisor) of the unit that handles the request."""
    return (
        acting_user is not None
        and acting_user.is_active
        and (
            is_administrator(acting_user)
            or (request.handler_unit_id and acting_user.unit_id == request.handler_unit_id)
        )
    )


def time_spent_errors(request, hours):
    """({field: message}, the hours as a Decimal or None): what ``do_record_time_spent`` would refuse."""
    errors = {}
    if request.resolved_at is None:
        errors["hours"] = _("The time spent is recorded once the request is done.")
    elif SectorTimeSpent.objects.filter(request=request).exists():
        errors["hours"] = _("The time spent on this request is already recorded.")
    value = _decimal(hours, "hours", errors) if "hours" not in errors else None
    if value is not None and not errors:
        if value <= 0:
            errors["hours"] = _("Enter the hours spent, more than zero.")
        elif value >= MAX_HOURS or value != value.quantize(Decimal("0.01")):
            errors["hours"] = _("Enter at most 99,999 hours, with at most two decimals.")
    return errors, value


def do_record_time_spent(request, *, acting_user, hours):
    """The handling unit records the hours it spent on a done request (once, whoever handled it).

    The request's history gets ``time_spent_recorded`` (and the outbox ``case.time_spent_recorded``). When
    the pooled means of a sub-sector procedure handled it, the hours count in their consumption: the
    procedure's audit entry, and ``sector.pooled_means_warning`` when 80 % or 100 % is crossed. Returns
    the pooled means' consumption, or None when no pooled means handled the request."""
    if not may_record_time_spent(acting_user, request):
        raise RoleNotAllowed([], _("Only the unit that handled the request may record the time spent."))
    errors, value = time_spent_errors(request, hours)
    if errors:
        raise InvalidFields(errors)
    means = means_of(request)
    with transaction.atomic():
        if request.case_id:
            data = {"hours": str(value), "means": means.pk if means else None}
            engine.record_case_event(request.case, "time_spent_recorded", acting_user=acting_user, data=data)
        if means is None:
            SectorTimeSpent.objects.create(request=request, means=None, hours=value)
            return None
        year = timezone.localdate().year
        before = figures.consumption(means, year)
        SectorTimeSpent.objects.create(request=request, means=means, hours=value)
        after = figures.consumption(means, year)
        procedure = means.version.procedure
        audit(
            procedure,
            "time_spent_recorded",
            acting_user,
            request=request.reference,
            hours=str(value),
            used=str(after["used"]),
            capacity=str(after["capacity"]),
        )
        if after["warning"] and after["warning"] != before["warning"]:
            event(
                "pooled_means_warning",
                procedure=procedure.code,
                means=means.pk,
                pct=str(after["pct"]),
                level=after["warning"],
            )
    return after
