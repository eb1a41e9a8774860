"""The monthly aggregates of the figures (observation.models.MonthlyFigures and MonthlyDelays), kept by
the worker: each month's rows are computed by the same database aggregates as the live figures
(observation.figures), grouped by cell, and replaced whole when a request filed that month changed.

Which months changed: those of the requests whose case has an audit entry (every transition, alert,
redirection, merge, urgency decision and deadline breach writes one) or a fine recorded after the
watermark (``AggregateWatermark``: the last audit entry and fine taken into account). The first run
aggregates every month from the January of the year before the first request on.
``manage.py observation_aggregates`` rebuilds months by hand (after a correction made outside the
actions).
"""

import datetime

from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from engine import outbox
from engine.models import Alert, AuditEntry
from observation import conf
from observation.actions._common import audit as _audit
from observation.actions._common import check as _check
from observation.actions.snapshots import month_bounds
from observation.figures import (
    CELL_FIELDS,
    DEADLINE_KINDS,
    URGENCY_CHECK,
    _measured_deadlines,
    _request_aggregates,
)
from observation.models import AggregatedMonth, AggregateWatermark, Fine, MonthlyDelays, MonthlyFigures
from procedures.models import InterventionRequest
from procedures.scope import is_administrator

ALERT_COUNTS = {
    "alerts_raised": Count("pk"),
    "urgency_checks": Count("pk", filter=Q(code=URGENCY_CHECK)),
    "upheld": Count("pk", filter=Q(code=URGENCY_CHECK, outcome="upheld")),
    "dismissed": Count("pk", filter=Q(code=URGENCY_CHECK, outcome="dismissed")),
    "undecided": Count("pk", filter=Q(code=URGENCY_CHECK, outcome="")),
    "deadline_alerts": Count("pk", filter=~Q(code=URGENCY_CHECK)),
}


def may_refresh_monthly_figures(acting_user):
    return acting_user is None or (acting_user.is_active and is_administrator(acting_user))


def _cell(row, prefix=""):
    return tuple(row[f"{prefix}{field}"] for field in CELL_FIELDS)


def _cell_values(prefix):
    return [f"{prefix}{field}" for field in CELL_FIELDS]


def month_rows(month):
    """(MonthlyFigures, MonthlyDelays) rows, unsaved, of the requests filed in ``month``."""
    first, start, end = month_bounds(month)
    requests = InterventionRequest.objects.filter(created_at__gte=start, created_at__lt=end)
    cells = {}
    for row in requests.values(*CELL_FIELDS).annotate(**_request_aggregates()).order_by():
        cells[_cell(row)] = MonthlyFigures(
            month=first, **{field: row[field] for field in CELL_FIELDS},
            **{key: row[key] for key in _request_aggregates()},
        )  # fmt: skip
    via = "case__intervention_request__"
    alerts = Alert.objects.filter(case_id__in=requests.values("case_id"))
    for row in alerts.values(*_cell_values(via)).annotate(**ALERT_COUNTS).order_by():
        figures = cells[_cell(row, via)]
        for key in ALERT_COUNTS:
            setattr(figures, key, row[key])
    fines = Fine.objects.filter(request__in=requests)
    for row in (
        fines.values(*_cell_values("request__")).annotate(n=Count("pk"), eur=Sum("amount_eur")).order_by()
    ):
        figures = cells[_cell(row, "request__")]
        figures.fines, figures.fines_amount_eur = row["n"], row["eur"]
    delays = []
    for kind in DEADLINE_KINDS:
        grouped = (
            _measured_deadlines(requests, kind)
            .values(*_cell_values(via), "taken_seconds", "target_seconds")
            .annotate(
                n=Count("pk"),
                waited=Count("pk", filter=Q(waited_seconds__gt=0)),
                waited_seconds=Sum("waited_seconds"),
            )
            .order_by()
        )
        for row in grouped:
            delays.append(
                MonthlyDelays(
                    month=first, kind=kind, **{field: row[f"{via}{field}"] for field in CELL_FIELDS},
                    taken_seconds=row["taken_seconds"], target_seconds=row["target_seconds"],
                    count=row["n"], waited=row["waited"], waited_seconds=row["waited_seconds"] or 0,
                )
            )  # fmt: skip
    return list(cells.values()), delays


def _replace_month(month, now):
    figures, delays = month_rows(month)
    first = month.replace(day=1)
    MonthlyFigures.objects.filter(month=first).delete()
    MonthlyDelays.objects.filter(month=first).delete()
    MonthlyFigures.objects.bulk_create(figures, batch_size=2000)
    MonthlyDelays.objects.bulk_create(delays, batch_size=2000)
    AggregatedMonth.objects.update_or_create(month=first, defaults={"refreshed_at": now})
    return len(figures) + len(delays)


def _months_from(first, last):
    month = first.replace(day=1)
    while month <= last:
        yield month
        month = (month + datetime.timedelta(days=32)).replace(day=1)


def changed_months(watermark, last_audit, last_fine):
    """The months (first days) of the requests changed after ``watermark`` up to the two last ids."""
    zone = timezone.get_current_timezone()
    filed = "case__intervention_request__created_at"
    audited = (
        AuditEntry.objects.filter(pk__gt=watermark.audit_entry_id, pk__lte=last_audit)
        .exclude(**{f"{filed}__isnull": True})
        .annotate(m=TruncMonth(filed, tzinfo=zone))
        .values_list("m", flat=True)
        .distinct()
    )
    fined = (
        Fine.objects.filter(pk__gt=watermark.fine_id, pk__lte=last_fine)
        .annotate(m=TruncMonth("request__created_at", tzinfo=zone))
        .values_list("m", flat=True)
        .distinct()
    )
    return sorted({timezone.localdate(m) if timezone.is_aware(m) else m.date() for m in [*audited, *fined]})


def do_refresh_monthly_figures(months=None, *, acting_user, force=False):
    """Recompute the aggregates of ``months`` (dates; None: those changed since the watermark, every
    month from the first request on at the first run). At most once per
    ``GUP_OBSERVATION_REFRESH_SECONDS`` unless ``force`` or ``months`` is given. Returns the months
    refreshed."""
    _check(may_refresh_monthly_figures(acting_user), _("You may not refresh the monthly figures."))
    now = timezone.now()
    try:
        with transaction.atomic():
            AggregateWatermark.objects.get_or_create(pk=1, defaults={"refreshed_at": now})
    except IntegrityError:  # created at the same moment by another worker
        pass
    with transaction.atomic():
        watermark = AggregateWatermark.objects.select_for_update().get(pk=1)  # one refresh at a time
        first_run = watermark.audit_entry_id == 0 and watermark.fine_id == 0
        if months is None and not force and not first_run:
            interval = conf.get("GUP_OBSERVATION_REFRESH_SECONDS")
            if (now - watermark.refreshed_at).total_seconds() < interval:
                return []
        last_audit = AuditEntry.objects.aggregate(m=Max("pk"))["m"] or 0
        last_fine = Fine.objects.aggregate(m=Max("pk"))["m"] or 0
        if months is not None:
            chosen = sorted({month.replace(day=1) for month in months})
        elif first_run or not AggregatedMonth.objects.exists():
            first = InterventionRequest.objects.order_by("created_at").values_list("created_at", flat=True)
            first = first.first()
            last = timezone.localdate(now)
            # from the January of the year before (empty months): the first year's comparison with
            # the year before is read from the aggregates too
            since = None if first is None else timezone.localdate(first).replace(month=1, day=1)
            chosen = [] if first is None else list(_months_from(since.replace(year=since.year - 1), last))
        else:
            chosen = changed_months(watermark, last_audit, last_fine)
        rows = sum(_replace_month(month, now) for month in chosen)
        if months is None:
            AggregateWatermark.objects.filter(pk=watermark.pk).update(
                audit_entry_id=last_audit, fine_id=last_fine, refreshed_at=now
            )
        if chosen:
            data = {"months": [f"{month:%Y-%m}" for month in chosen], "rows": rows}
            _audit("monthly_figures_refreshed", f"months:{len(chosen)}", acting_user, **data)
            outbox.emit("observation.monthly_figures_refreshed", case_id=None, payload=data)
    return chosen


def refresh_monthly_figures(now=None):
    """Worker job: refresh the months of the requests changed since the last run."""
    return len(do_refresh_monthly_figures(acting_user=None))
