"""Monthly backlog snapshots: taken by the worker when a month ends, or by the command."""

import datetime

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from engine import outbox
from engine.errors import InvalidFields
from engine.models import Deadline
from observation.actions._common import audit as _audit
from observation.actions._common import check as _check
from observation.models import BacklogSnapshot, SnapshotMonth
from procedures.models import InterventionRequest
from procedures.scope import is_administrator


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
