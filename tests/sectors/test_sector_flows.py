"""The sub-sector procedures on django-viewflow: the approval flow on the partner approval block (parallel
answers through the flow, the Join once, the reminder timer fired by the worker, the first request for changes
closing the round, our own answer rule) and the yearly evaluation timer (time controlled)."""

import threading

import pytest
from django.db import connection
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import PROCESS, STATUS

from directory.approvals import actions as partner_reviews
from directory.approvals.scope import inbox_of
from directory.models import DirectoryAuditEntry, PartnerReview
from directory.roles import Role
from engine.errors import RoleNotAllowed
from engine.models import OutboxEvent
from engine.worker import run_jobs_once
from procedures.sectors import approvals, evaluations
from procedures.sectors.flows import SectorApprovalFlow, SectorEvaluationFlow
from procedures.sectors.models import SectorApproval, SectorAuditEntry, SectorEvaluation, SectorVersion
from tests.factories import make_user

APPROVAL_JOB = "directory.approvals.jobs.fire_due_reminders"
EVALUATION_JOB = "procedures.sectors.evaluations.open_due_evaluations"


def approval_process(version):
    return Process.objects.get(flow_class=SectorApprovalFlow, artifact_object_id=version.pk)


def tasks_named(process, name):
    return [task for task in process.task_set.all() if task.flow_task.name == name]


def test_submitting_starts_the_flow_with_one_review_and_one_reminder_timer_per_partner(draft, settings):
    approvals.do_submit_sector_version(draft.version, acting_user=draft.world.admin_user)
    process = approval_process(draft.version)
    assert process.artifact == draft.version
    reviews = PartnerReview.objects.filter(process=process)
    assert reviews.count() == 3
    assert set(SectorApproval.objects.values_list("review_id", flat=True)) == set(
        reviews.values_list("pk", flat=True)
    )
    assert len(tasks_named(process, "partner_review")) == 3
    timers = Task.objects.filter(process=process, flow_task_type="TIMER", status=STATUS.SCHEDULED)
    assert timers.count() == 3
    assert OutboxEvent.objects.filter(kind="approval.started").count() == 3
    assert OutboxEvent.objects.filter(kind="sector.approval_requested").count() == 3


def test_approving_goes_through_the_block_and_the_last_answer_runs_the_join_and_activates(draft):
    approvals.do_submit_sector_version(draft.version, acting_user=draft.world.admin_user)
    process = approval_process(draft.version)
    for task in SectorApproval.objects.filter(version=draft.version).select_related("partner"):
        approvals.do_approve_sector_version(task, acting_user=task.partner.referent, comment="D'accord")
    process.refresh_from_db()
    assert process.status == PROCESS.DONE
    assert [task.status for task in tasks_named(process, "partners_join")] == [STATUS.DONE]
    assert len(tasks_named(process, "approved")) == 1
    assert not tasks_named(process, "changes_requested")
    assert set(PartnerReview.objects.filter(process=process).values_list("status", flat=True)) == {"approved"}
    assert DirectoryAuditEntry.objects.filter(event="partner_review_approved").count() == 3
    assert SectorAuditEntry.objects.filter(event="version_approved").count() == 3
    assert SectorAuditEntry.objects.filter(event="version_activated").count() == 1
    assert OutboxEvent.objects.filter(kind="approval.answered").count() == 3
    assert SectorVersion.objects.get(pk=draft.version.pk).status == "active"
    # no reminder timer left behind
    assert not Task.objects.filter(process=process, flow_task_type="TIMER", status=STATUS.SCHEDULED).exists()


def test_the_answer_rule_is_ours_a_referent_of_the_partner_who_is_not_the_named_one_is_refused(draft):
    approvals.do_submit_sector_version(draft.version, acting_user=draft.world.admin_user)
    task = SectorApproval.objects.get(version=draft.version, partner__organisation=draft.world.landlord)
    other = make_user(draft.world.landlord, roles=[Role.REFERENT], username="landlord-referent")
    before = (
        DirectoryAuditEntry.objects.count(),
        OutboxEvent.objects.count(),
        SectorAuditEntry.objects.count(),
    )
    with pytest.raises(RoleNotAllowed):
        partner_reviews.do_approve_partner_review(task.review, acting_user=other)
    with pytest.raises(RoleNotAllowed):
        approvals.do_approve_sector_version(task, acting_user=other)
    assert (
        DirectoryAuditEntry.objects.count(),
        OutboxEvent.objects.count(),
        SectorAuditEntry.objects.count(),
    ) == before
    assert PartnerReview.objects.get(pk=task.review_id).status == "pending"


def test_the_first_request_for_changes_closes_the_round_cancels_the_other_tasks_and_their_reminders(
    draft, time_machine
):
    time_machine.move_to("2026-02-02 09:00 +01:00")
    approvals.do_submit_sector_version(draft.version, acting_user=draft.world.admin_user)
    process = approval_process(draft.version)
    task = SectorApproval.objects.get(version=draft.version, partner__organisation=draft.world.landlord)
    approvals.do_request_sector_changes(task, acting_user=draft.world.landlord_agent, comment="Le parking")
    process.refresh_from_db()
    assert process.status == PROCESS.DONE
    assert len(tasks_named(process, "changes_requested")) == 1
    others = [t for t in tasks_named(process, "partner_review") if t.pk != task.review.task_id]
    assert {t.status for t in others} == {STATUS.CANCELED}
    assert not Task.objects.filter(process=process, flow_task_type="TIMER", status=STATUS.SCHEDULED).exists()
    assert SectorVersion.objects.get(pk=draft.version.pk).status == "draft"
    assert DirectoryAuditEntry.objects.filter(event="partner_review_changes_requested").count() == 1
    # the withdrawn partners are not reminded later
    time_machine.move_to("2026-03-02 09:00 +01:00")
    assert run_jobs_once()[APPROVAL_JOB] == 0
    assert not OutboxEvent.objects.filter(kind__in=["approval.reminder", "sector.approval_reminder"]).exists()
    # a withdrawn task cannot be answered any more
    commune_task = SectorApproval.objects.get(
        version=draft.version, partner__organisation=draft.world.commune
    )
    assert commune_task.state == "withdrawn"
    assert not inbox_of(draft.world.commune_user).exists()
    # resubmitted: a new process, a new round
    approvals.do_submit_sector_version(draft.version, acting_user=draft.world.admin_user)
    assert Process.objects.filter(flow_class=SectorApprovalFlow, status=PROCESS.NEW).count() == 1


def test_the_reminder_is_the_blocks_timer_fired_by_the_worker_job_once(draft, settings, time_machine):
    settings.APPROVAL_REMINDER_DAYS = 4
    time_machine.move_to("2026-02-02 09:00 +01:00")
    approvals.do_submit_sector_version(draft.version, acting_user=draft.world.admin_user)
    landlord = SectorApproval.objects.get(version=draft.version, partner__organisation=draft.world.landlord)
    approvals.do_approve_sector_version(landlord, acting_user=draft.world.landlord_agent)
    time_machine.move_to("2026-02-06 08:59 +01:00")
    assert run_jobs_once()[APPROVAL_JOB] == 0
    time_machine.move_to("2026-02-06 09:01 +01:00")
    assert run_jobs_once()[APPROVAL_JOB] == 2
    assert run_jobs_once()[APPROVAL_JOB] == 0
    reminded = PartnerReview.objects.filter(reminders_sent=1)
    assert sorted(reminded.values_list("organisation__code", flat=True)) == sorted(
        [draft.world.commune.code, draft.world.cu.code]
    )
    assert SectorApproval.objects.filter(reminded_at__isnull=False).count() == 2
    assert DirectoryAuditEntry.objects.filter(event="partner_review_reminded").count() == 2
    assert SectorAuditEntry.objects.filter(event="approval_reminded").count() == 2
    assert OutboxEvent.objects.filter(kind="approval.reminder").count() == 2
    assert sorted(
        OutboxEvent.objects.filter(kind="sector.approval_reminder").values_list("payload__user", flat=True)
    ) == sorted([draft.world.commune_user.pk, draft.world.ctc_lead.pk])
    # non-interrupting: the tasks stay open and can still be answered
    for task in SectorApproval.objects.filter(version=draft.version, state="pending").select_related(
        "partner"
    ):
        approvals.do_approve_sector_version(task, acting_user=task.partner.referent)
    assert SectorVersion.objects.get(pk=draft.version.pk).status == "active"


def test_the_yearly_evaluation_is_opened_by_its_timer_at_the_evaluation_month(active, time_machine):
    procedure = active.version.procedure
    process = Process.objects.get(flow_class=SectorEvaluationFlow, artifact_object_id=procedure.pk)
    timer = Task.objects.get(process=process, flow_task_type="TIMER", status=STATUS.SCHEDULED)
    assert str(timer.scheduled.date()) in ("2026-12-31", "2027-01-01")  # midnight, local time
    time_machine.move_to("2026-12-31 12:00 +01:00")
    assert run_jobs_once()[EVALUATION_JOB] == 0
    time_machine.move_to("2027-01-02 09:00 +01:00")
    assert run_jobs_once()[EVALUATION_JOB] == 1
    assert run_jobs_once()[EVALUATION_JOB] == 0
    evaluation = SectorEvaluation.objects.get()
    assert (evaluation.year, str(evaluation.period_end)) == (2027, "2027-01-01")
    assert SectorAuditEntry.objects.filter(event="evaluation_opened").count() == 1
    assert (
        OutboxEvent.objects.get(kind="sector.evaluation_opened").payload["user"] == procedure.project_lead_id
    )
    decide = Task.objects.get(process=process, flow_task_type="HUMAN")
    assert decide.status == STATUS.NEW
    evaluations.do_decide_sector_evaluation(
        evaluation, acting_user=active.world.admin_user, decision="continue"
    )
    decide.refresh_from_db()
    assert decide.status == STATUS.DONE
    # the experiment continues: the timer is armed for the next year
    nxt = Task.objects.get(process=process, flow_task_type="TIMER", status=STATUS.SCHEDULED)
    assert nxt.scheduled.year in (2027, 2028) and nxt.scheduled > decide.finished
    assert str(nxt.scheduled.date()) in ("2027-12-31", "2028-01-01")


def test_ending_the_experiment_at_its_evaluation_ends_the_evaluation_flow(active, time_machine):
    time_machine.move_to("2027-01-04 09:00 +01:00")
    assert evaluations.open_due_evaluations() == 1
    evaluation = SectorEvaluation.objects.get()
    evaluations.do_decide_sector_evaluation(evaluation, acting_user=active.world.admin_user, decision="end")
    process = Process.objects.get(flow_class=SectorEvaluationFlow)
    assert process.status == PROCESS.DONE
    assert not Task.objects.filter(process=process, status=STATUS.SCHEDULED).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_three_partners_answering_together_through_the_flow_run_the_join_once(sector_world, on_postgres):
    if not on_postgres:
        pytest.skip("SQLite serialises writers: the flow's select_for_update lock is tested on PostgreSQL")
    from tests.sectors.conftest import build_draft

    sector = build_draft(sector_world)
    approvals.do_submit_sector_version(sector.version, acting_user=sector.world.admin_user)
    tasks = list(SectorApproval.objects.filter(version=sector.version).select_related("partner__referent"))
    barrier = threading.Barrier(len(tasks))
    results = []

    def approve(task):
        try:
            barrier.wait(timeout=10)
            approvals.do_approve_sector_version(task, acting_user=task.partner.referent)
            results.append("ok")
        except Exception as error:  # reported to the test
            results.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(task,)) for task in tasks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert results == ["ok", "ok", "ok"]
    process = approval_process(sector.version)
    assert process.status == PROCESS.DONE
    joins = tasks_named(process, "partners_join")
    assert [task.status for task in joins] == [STATUS.DONE]
    assert len(tasks_named(process, "approved")) == 1
    assert PartnerReview.objects.filter(process=process, status="approved").count() == 3
    assert SectorApproval.objects.filter(version=sector.version, state="approved").count() == 3
    assert SectorVersion.objects.get(pk=sector.version.pk).status == "active"
    assert SectorAuditEntry.objects.filter(event="version_activated").count() == 1
    assert OutboxEvent.objects.filter(kind="sector.version_activated").count() == 1
    assert OutboxEvent.objects.filter(kind="approval.answered").count() == 3
    assert (
        Process.objects.filter(
            flow_class=SectorEvaluationFlow, artifact_object_id=sector.version.procedure_id
        ).count()
        == 1
    )


def test_the_command_arms_the_evaluation_timer_of_an_active_procedure_that_has_none(active, time_machine):
    from io import StringIO

    from django.core.management import call_command

    procedure = active.version.procedure
    evaluation_processes = Process.objects.filter(
        flow_class=SectorEvaluationFlow, artifact_object_id=procedure.pk
    )
    Task.objects.filter(process__in=evaluation_processes).delete()
    evaluation_processes.delete()  # as for a procedure activated before the timer existed
    out = StringIO()
    call_command("arm_sector_evaluations", "--dry-run", stdout=out)
    assert "would be armed: 1 of 1" in out.getvalue() and not evaluation_processes.exists()
    call_command("arm_sector_evaluations", stdout=out)
    assert evaluation_processes.filter(status=PROCESS.NEW).count() == 1
    assert SectorAuditEntry.objects.filter(event="evaluation_armed").count() == 1
    call_command("arm_sector_evaluations", stdout=out)  # idempotent
    assert "armed: 0 of 1" in out.getvalue().splitlines()[-1]
    assert evaluation_processes.count() == 1
    time_machine.move_to("2027-01-04 09:00 +01:00")
    assert evaluations.open_due_evaluations() == 1
