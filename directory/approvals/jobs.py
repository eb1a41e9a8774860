"""The worker job of partner approvals (settings.WORKER_JOBS; also run by Celery beat through
engine.tasks.run_worker_jobs): fire the due reminder timers.

Each due timer is re-read under its flow's lock (select_for_update on the process row) and fired only if it is
still scheduled; the reminder itself is claimed with a compare-and-set update (actions.remind_partner), so two
workers never send the same reminder twice.
"""

import logging

from django.utils import timezone
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

logger = logging.getLogger(__name__)

BATCH = 200


def fire_due_timers(tasks, *, now, accept=lambda task: True, label="timer"):
    """Fire the due viewflow timers among ``tasks`` (a Task queryset), oldest first, at most BATCH; returns
    how many fired. Shared by every headless flow's worker job (reminders here, the sub-sector procedures'
    yearly evaluation)."""
    due = list(
        tasks.filter(flow_task_type="TIMER", status=STATUS.SCHEDULED, scheduled__lte=now)
        .order_by("scheduled", "pk")
        .values_list("pk", flat=True)[:BATCH]
    )
    fired = 0
    for pk in due:
        task = Task.objects.filter(pk=pk).first()
        if task is None or task.flow_task is None or not accept(task):
            continue
        try:
            with task.activation() as activation:
                if activation.task.status != STATUS.SCHEDULED:
                    continue
                activation.start()
                activation.execute()
                fired += 1
        except FlowLockFailed:
            logger.info("%s %s is locked by another worker, skipped", label, pk)
        except Exception:
            logger.exception("%s %s failed", label, pk)
    return fired


def fire_due_reminders(now=None):
    """Fire the due reminder timers of partner approvals; returns how many fired."""
    from directory.approvals.flow import PartnerApproval

    return fire_due_timers(
        Task.objects.all(),
        now=now or timezone.now(),
        accept=lambda task: issubclass(task.flow_task.flow_class, PartnerApproval),
        label="reminder timer",
    )
