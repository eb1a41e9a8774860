"""Time spent by pooled means on done requests, and their consumption warnings (80 % and 100 %)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from engine.errors import InvalidFields, RoleNotAllowed
from procedures.scope import is_administrator
from procedures.sectors import figures
from procedures.sectors.actions import _decimal, audit, event
from procedures.sectors.models import SectorTimeSpent


def means_of(request):
    """The pooled means of the request's sector version whose unit handles it, or None."""
    if not request.sector_version_id or not request.handler_unit_id:
        return None
    return request.sector_version.pooled_means.filter(unit_id=request.handler_unit_id).first()


def may_record_time_spent(acting_user, request):
    return (
        acting_user is not None
        and acting_user.is_active
        and (
            is_administrator(acting_user)
            or (request.handler_unit_id and acting_user.unit_id == request.handler_unit_id)
        )
    )


def do_record_time_spent(request, *, acting_user, hours):
    """The handler records the time its pooled means spent on a done request (once; warns at 80 / 100 %)."""
    if not may_record_time_spent(acting_user, request):
        raise RoleNotAllowed([], _("Only the unit that handled the request may record the time spent."))
    errors = {}
    means = means_of(request)
    if means is None:
        errors["hours"] = _("This request was not handled by the pooled means of a sub-sector procedure.")
    elif request.resolved_at is None:
        errors["hours"] = _("The time spent is recorded once the request is done.")
    elif SectorTimeSpent.objects.filter(request=request).exists():
        errors["hours"] = _("The time spent on this request is already recorded.")
    value = _decimal(hours, "hours", errors) if "hours" not in errors else None
    if value is not None and value <= 0:
        errors["hours"] = _("Enter the hours spent, more than zero.")
    if errors:
        raise InvalidFields(errors)
    with transaction.atomic():
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
