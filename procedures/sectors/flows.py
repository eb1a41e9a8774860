"""The django-viewflow flows of sub-sector procedures, run headless (no viewflow URL, no Material frontend):
our actions (procedures.sectors.approvals, procedures.sectors.evaluations) drive their tasks and our access
rules decide who may answer.

``SectorApprovalFlow``: the partners' approval of one submission of a version, on the shared partner
approval block (directory/approvals: split per partner, non-interrupting reminder timer fired by
``directory.approvals.jobs.fire_due_reminders``, join under viewflow's select_for_update lock). The first
request for changes closes the round (the join cancels the other partners' tasks); the outcome nodes activate
the version or send the draft back to its author, the system acting.

``SectorEvaluationFlow``: one process per procedure in force, armed when a version is activated. A viewflow
``Timer`` waits for the first day of the evaluation month, fired by ``evaluations.open_due_evaluations`` (a
worker job, also run by Celery beat); it opens the evaluation (figures frozen) and a human task for the
project lead, completed by ``do_decide_sector_evaluation``; unless the decision ends the experiment, the
timer is armed again for the next year.
"""

import datetime

from django.utils import timezone
from viewflow import this
from viewflow.workflow import flow, lock, nodes
from viewflow.workflow.status import STATUS

from directory.approvals.actions import remind_partner
from directory.approvals.flow import PartnerApproval
from directory.models import PartnerReview


class SectorApprovalFlow(PartnerApproval, flow.Flow):
    """Approval of a sub-sector procedure version by its partners"""

    close_round_on_changes_requested = True
    sends_its_own_emails = True  # each partner's named referent is e-mailed (sectors/notifications.py)

    approved = nodes.Function(this.activate_version).Next(this.end)
    changes_requested = nodes.Function(this.send_back_version).Next(this.end)
    end = nodes.End()

    def may_answer_review(self, user, review):
        """The sector's rule: the referent named for that partner in the version answers for it."""
        from procedures.sectors.approvals import may_answer_approval

        approval = getattr(review, "sector_approval", None)
        return approval is not None and may_answer_approval(user, approval)

    def activate_version(self, activation):
        from procedures.sectors.approvals import activate_approved_version

        activate_approved_version(activation.process.artifact_object_id)

    def send_back_version(self, activation):
        from procedures.sectors.approvals import send_back_version

        # the reminder timers of the partners whose tasks the join cancelled are cancelled with them
        for timer in activation.process.task_set.filter(flow_task_type="TIMER", status=STATUS.SCHEDULED):
            timer.flow_task.activation_class(timer).cancel()
        send_back_version(activation.process.artifact_object_id)

    def send_partner_reminder(self, activation):
        from procedures.sectors.approvals import record_reminder

        boundary = activation.task.previous.first()
        host = boundary.previous.first() if boundary is not None else None
        if host is None or host.status not in (STATUS.NEW, STATUS.ASSIGNED):
            return  # the partner's task was closed meanwhile
        review = PartnerReview.objects.filter(task=host).first()
        if review is not None and remind_partner(review, now=timezone.now()):
            record_reminder(review)


def next_evaluation_on(procedure, today):
    """The first day of the next evaluation month that has no evaluation yet, after the experiment started
    (the current month counts when it is the evaluation month)."""
    from procedures.sectors.models import SectorEvaluation

    version = procedure.versions.filter(status="active").order_by("-effective_from", "-number").first()
    version = version or procedure.versions.order_by("-number").first()
    month = version.evaluation_month
    first_start = procedure.versions.order_by("number").first().starts_on
    done = set(SectorEvaluation.objects.filter(procedure=procedure).values_list("year", flat=True))
    year = today.year if today.month <= month else today.year + 1
    while datetime.date(year, month, 1) <= first_start or year in done:
        year += 1
    return datetime.date(year, month, 1)


class SectorEvaluationFlow(flow.Flow):
    """Yearly evaluation of a sub-sector procedure"""

    lock_impl = lock.SelectForUpdateLock(nowait=False, attempts=1)

    start = nodes.StartHandle(this.begin_evaluations).Next(this.wait_for_month)
    wait_for_month = nodes.Timer(this.evaluation_due_at).Next(this.open_evaluation)
    open_evaluation = nodes.Function(this.open_year_evaluation).Next(this.opened)
    opened = nodes.If(this.evaluation_was_opened).Then(this.decide).Else(this.end)
    decide = nodes.View(None).Next(this.continues)
    continues = nodes.If(this.experiment_continues).Then(this.wait_for_month).Else(this.end)
    end = nodes.End()

    def begin_evaluations(self, activation, procedure):
        activation.process.artifact = procedure
        activation.process.data = {"evaluation_id": None}
        return activation.process

    def evaluation_due_at(self, activation):
        procedure = activation.process.artifact
        due = next_evaluation_on(procedure, timezone.localdate())
        process = activation.process
        process.data = {**(process.data or {}), "due": due.isoformat(), "evaluation_id": None}
        process.save(update_fields=["data"])
        return timezone.make_aware(datetime.datetime.combine(due, datetime.time.min))

    def open_year_evaluation(self, activation):
        from procedures.sectors.evaluations import open_evaluation

        process = activation.process
        due = datetime.date.fromisoformat(process.data["due"])
        evaluation = open_evaluation(process.artifact, due)
        process.data = {**process.data, "evaluation_id": evaluation.pk if evaluation else None}
        process.save(update_fields=["data"])

    def evaluation_was_opened(self, activation):
        return bool(activation.process.data.get("evaluation_id"))

    def experiment_continues(self, activation):
        from procedures.sectors.models import EvaluationDecision, SectorEvaluation

        evaluation = SectorEvaluation.objects.filter(pk=activation.process.data.get("evaluation_id")).first()
        return evaluation is not None and evaluation.decision != EvaluationDecision.END
