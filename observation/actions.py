"""The observation app's write path: fines recorded on requests and monthly backlog snapshots.

Each ``do_<verb>_<noun>(..., *, acting_user)`` runs in one transaction: the permission check (its
``may_<verb>_<noun>`` beside it; ``acting_user=None`` is the system: the worker or a command), the
write, one ``ObservationAuditEntry`` and its outbox event.
"""

import datetime
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from engine import outbox
from engine.errors import InvalidFields, RoleNotAllowed
from engine.models import Deadline
from observation.models import BacklogSnapshot, Fine, FineKind, ObservationAuditEntry, SnapshotMonth
from procedures.attributes import parse_number
from procedures.models import InterventionRequest
from procedures.scope import is_administrator, requests_visible_to

MAX_FINE_EUR = Decimal("100000")


def _check(allowed, message):
    if not allowed:
        raise RoleNotAllowed([], message)


def _audit(event, target, acting_user, **data):
    return ObservationAuditEntry.objects.create(
        actor=acting_user, event=event, target=target[:200], data=data
    )


# --- fines -------------------------------------------------------------------------------------------


def may_record_fine(acting_user, request):
    """The commune's own staff (its police reports through them) or an administrator, on a request
    they can see."""
    if acting_user is None:
        return True
    if not acting_user.is_active:
        return False
    if is_administrator(acting_user):
        return True
    return (
        acting_user.organisation_id == request.commune_id
        and requests_visible_to(acting_user).filter(pk=request.pk).exists()
    )


def _parse_amount(amount):
    if amount in (None, ""):
        return None
    if isinstance(amount, Decimal):
        value = amount
    else:
        try:
            parse_number(amount)  # refuses "1,234.5", spaces, infinities
            value = Decimal(str(amount).strip().replace(",", "."))
        except (ValueError, InvalidOperation):
            raise InvalidFields(
                {"amount_eur": _("The amount must be a number of euros, e.g. 68 or 68,50.")}
            ) from None
    if value < 0 or value > MAX_FINE_EUR or value != value.quantize(Decimal("0.01")):
        raise InvalidFields(
            {"amount_eur": _("The amount must be between 0 and 100,000 euros, with at most two decimals.")}
        )
    return value


def do_record_fine(request, *, issued_on, kind, amount_eur=None, acting_user):
    """Record that a fine was issued after ``request`` (no personal data of the offender)."""
    _check(may_record_fine(acting_user, request), _("You may not record a fine on this request."))
    errors = {}
    if kind not in FineKind.values:
        errors["kind"] = _("Unknown kind of fine.")
    if not isinstance(issued_on, datetime.date):
        errors["issued_on"] = _("The date the fine was issued is required.")
    elif issued_on > timezone.localdate():
        errors["issued_on"] = _("The date the fine was issued cannot be in the future.")
    elif issued_on < timezone.localdate(request.created_at):
        errors["issued_on"] = _("The fine cannot have been issued before the request was filed.")
    try:
        amount = _parse_amount(amount_eur)
    except InvalidFields as error:
        errors.update(error.errors)
    if errors:
        raise InvalidFields(errors)
    with transaction.atomic():
        fine = Fine.objects.create(
            request=request, issued_on=issued_on, kind=kind, amount_eur=amount, recorded_by=acting_user
        )
        data = {"fine": fine.pk, "kind": kind, "issued_on": issued_on.isoformat()}
        data["amount_eur"] = None if amount is None else str(amount)
        _audit("fine_recorded", f"request:{request.reference}", acting_user, **data)
        outbox.emit("observation.fine_recorded", case_id=request.case_id, payload=data)
    return fine


# --- monthly backlog snapshots ---------------------------------------------------------------------


def month_bounds(month):
    """Aware start and end (exclusive) of ``month`` (a date in it) in the current time zone."""
    first = month.replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    zone = timezone.get_current_timezone()
    start = datetime.datetime.combine(first, datetime.time.min, tzinfo=zone)
    end = datetime.datetime.combine(following, datetime.time.min, tzinfo=zone)
    return first, start, end


def may_take_backlog_snapshot(acting_user):
    return acting_user is None or (acting_user.is_active and is_administrator(acting_user))


def do_take_backlog_snapshot(month, *, acting_user, replace=False):
    """Count the requests open at the end of ``month`` by slice and keep the counts.

    The month is claimed by inserting its ``SnapshotMonth`` row (unique): a second worker gets None.
    ``replace`` (a command's ``--replace``) takes it again, e.g. to fill the past from the requests'
    dates. Returns the ``SnapshotMonth``, or None when the month was already taken."""
    _check(may_take_backlog_snapshot(acting_user), _("You may not take backlog snapshots."))
    first, _start, end = month_bounds(month)
    if end > timezone.now():
        message = _("The month %(month)s is not over yet.") % {"month": f"{first:%Y-%m}"}
        raise InvalidFields({"month": message})
    with transaction.atomic():
        if replace:
            BacklogSnapshot.objects.filter(month=first).delete()
            SnapshotMonth.objects.filter(month=first).delete()
        try:
            with transaction.atomic():
                taken = SnapshotMonth.objects.create(month=first)
        except IntegrityError:
            return None
        # Still to be done at the month's end: filed before it, not resolved nor closed before it.
        # Read at the month's end this is what the request lists showed; read later (a back-fill)
        # it is what the requests' dates say (a request reopened since counts from its last finish).
        overdue = Deadline.objects.filter(
            case_id=OuterRef("case_id"), kind="resolve", started_at__lt=end, due_at__lt=end
        ).filter(Q(stopped_at__isnull=True) | Q(stopped_at__gte=end))
        rows = (
            InterventionRequest.objects.filter(created_at__lt=end)
            .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=end))
            .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=end))
            .values("commune_id", "in_qpv", "category_id", "handler_organisation_id", "handler_unit_id")
            .annotate(open_count=Count("pk"), overdue_count=Count("pk", filter=Exists(overdue)))
            .order_by()
        )
        snapshots = BacklogSnapshot.objects.bulk_create(BacklogSnapshot(month=first, **row) for row in rows)
        taken.rows = len(snapshots)
        taken.save(update_fields=["rows"])
        data = {"month": f"{first:%Y-%m}", "rows": len(snapshots)}
        data["open"] = sum(row.open_count for row in snapshots)
        _audit("backlog_snapshot_taken", f"month:{first:%Y-%m}", acting_user, **data)
        outbox.emit("observation.backlog_snapshot_taken", case_id=None, payload=data)
    return taken


def take_due_snapshots(now=None):
    """Worker job: take the snapshot of the last month that ended, once (the claim is the unique row)."""
    now = now or timezone.now()
    last_month = (timezone.localdate(now).replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    if SnapshotMonth.objects.filter(month=last_month).exists():
        return 0
    if not InterventionRequest.objects.filter(created_at__lt=month_bounds(last_month)[2]).exists():
        return 0
    return 1 if do_take_backlog_snapshot(last_month, acting_user=None) else 0
