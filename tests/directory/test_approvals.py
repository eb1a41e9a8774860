"""The partner-approval building block (directory/approvals), driven through its actions and example flow."""

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import STATUS

from directory.approvals import jobs
from directory.approvals.actions import (
    do_approve_partner_review,
    do_request_changes_partner_review,
    outcome_of,
    start_partner_approval,
)
from directory.approvals.example import ExampleApprovalFlow
from directory.approvals.scope import inbox_of, partner_reviews_visible_to
from directory.models import DirectoryAuditEntry, OrganisationKind, PartnerReview
from directory.roles import Role
from engine.errors import GuardFailed, InvalidFields, RoleNotAllowed
from engine.models import OutboxEvent
from tests.factories import make_organisation, make_user

PARIS = ZoneInfo("Europe/Paris")
MONDAY_9 = datetime(2026, 3, 16, 9, 0, tzinfo=PARIS)


@pytest.fixture
def partners(world):
    state = make_organisation(OrganisationKind.STATE, code="prefecture", name="Préfecture")
    return {
        "commune": (world.commune, world.commune_user),
        "cu": (world.cu, make_user(world.cu, roles=[Role.REFERENT], username="cu-referent")),
        "state": (state, make_user(state, roles=[Role.REFERENT], username="state-referent")),
    }


def _start(world, partners):
    # the subject is any model row; the QPV perimeter stands for it here
    return start_partner_approval(
        ExampleApprovalFlow,
        world.qpv,
        [org for org, _user in partners.values()],
        started_by=world.landlord_agent,
    )


def _review(process, organisation):
    return PartnerReview.objects.get(process=process, organisation=organisation)


@pytest.mark.django_db
def test_it_opens_one_pending_task_per_partner_with_a_reminder_timer_each(world, partners, time_machine):
    time_machine.move_to(MONDAY_9, tick=False)
    process = _start(world, partners)
    reviews = PartnerReview.objects.filter(process=process)
    assert reviews.count() == 3
    assert set(reviews.values_list("status", flat=True)) == {PartnerReview.Status.PENDING}
    assert reviews.first().subject_id == world.qpv.pk
    human = Task.objects.filter(process=process, flow_task_type="HUMAN")
    assert human.count() == 3 and set(human.values_list("status", flat=True)) == {STATUS.NEW}
    timers = Task.objects.filter(process=process, flow_task_type="TIMER", status=STATUS.SCHEDULED)
    assert timers.count() == 3
    assert {t.scheduled for t in timers} == {MONDAY_9 + timedelta(days=10)}
    assert OutboxEvent.objects.filter(kind="approval.started").count() == 3
    assert outcome_of(process) is None


@pytest.mark.django_db
def test_it_validates_when_all_partners_approved(world, partners):
    process = _start(world, partners)
    for organisation, referent in partners.values():
        do_approve_partner_review(_review(process, organisation), acting_user=referent, comment="OK")
    process.refresh_from_db()
    assert process.data["outcome"] == "approved"
    assert process.status == STATUS.DONE
    assert outcome_of(process) == "approved"
    entries = DirectoryAuditEntry.objects.filter(event="partner_review_approved")
    assert entries.count() == 3
    entry = entries.get(actor=partners["state"][1])
    assert entry.data["old"] == {"status": "pending"}
    assert entry.data["new"] == {"status": "approved", "comment": "OK"}
    assert OutboxEvent.objects.filter(kind="approval.answered").count() == 3
    # the reminder timers of answered tasks were cancelled with them
    assert not Task.objects.filter(process=process, status=STATUS.SCHEDULED).exists()


@pytest.mark.django_db
def test_it_hands_back_changes_requested_once_every_partner_answered(world, partners):
    process = _start(world, partners)
    do_approve_partner_review(_review(process, world.commune), acting_user=world.commune_user)
    state, state_referent = partners["state"]
    do_request_changes_partner_review(
        _review(process, state), acting_user=state_referent, comment="Préciser l'axe tranquillité"
    )
    process.refresh_from_db()
    assert "outcome" not in process.data  # the community has not answered yet
    cu, cu_referent = partners["cu"]
    do_approve_partner_review(_review(process, cu), acting_user=cu_referent)
    process.refresh_from_db()
    assert process.data["outcome"] == "changes_requested"
    assert _review(process, state).comment == "Préciser l'axe tranquillité"
    assert DirectoryAuditEntry.objects.filter(event="partner_review_changes_requested").count() == 1


@pytest.mark.django_db
def test_it_refuses_a_second_answer_by_the_same_partner_and_changes_nothing(world, partners):
    process = _start(world, partners)
    review = _review(process, world.commune)
    do_approve_partner_review(review, acting_user=world.commune_user)
    audit, events = DirectoryAuditEntry.objects.count(), OutboxEvent.objects.count()
    with pytest.raises(GuardFailed) as refused:
        do_request_changes_partner_review(review, acting_user=world.commune_user, comment="Finalement non")
    assert "a déjà répondu" in str(refused.value)
    review.refresh_from_db()
    assert review.status == PartnerReview.Status.APPROVED and review.comment == ""
    assert (DirectoryAuditEntry.objects.count(), OutboxEvent.objects.count()) == (audit, events)


@pytest.mark.django_db
def test_it_refuses_an_answer_by_someone_who_is_not_the_partners_referent(world, partners):
    process = _start(world, partners)
    review = _review(process, world.commune)
    requester_only = make_user(world.commune, roles=[Role.REQUESTER], username="commune-requester")
    for intruder in (world.commune_2_user, requester_only, partners["state"][1]):
        with pytest.raises(RoleNotAllowed) as refused:
            do_approve_partner_review(review, acting_user=intruder)
        assert "Seul le référent GUP de Commune Une" in str(refused.value)
    review.refresh_from_db()
    assert review.status == PartnerReview.Status.PENDING
    assert not DirectoryAuditEntry.objects.filter(event__startswith="partner_review").exists()
    assert Task.objects.get(pk=review.task_id).status == STATUS.NEW


@pytest.mark.django_db
def test_it_requires_a_comment_to_request_changes(world, partners):
    process = _start(world, partners)
    review = _review(process, world.commune)
    with pytest.raises(InvalidFields) as refused:
        do_request_changes_partner_review(review, acting_user=world.commune_user, comment="  ")
    assert "comment" in refused.value.errors
    review.refresh_from_db()
    assert review.status == PartnerReview.Status.PENDING


@pytest.mark.django_db
def test_it_reminds_once_those_who_have_not_answered_after_the_delay(world, partners, time_machine):
    time_machine.move_to(MONDAY_9, tick=False)
    process = _start(world, partners)
    do_approve_partner_review(_review(process, world.commune), acting_user=world.commune_user)
    assert jobs.fire_due_reminders() == 0
    time_machine.move_to(MONDAY_9 + timedelta(days=10, minutes=1), tick=False)
    assert jobs.fire_due_reminders() == 2
    assert jobs.fire_due_reminders() == 0  # fired timers are done
    reminded = PartnerReview.objects.filter(process=process, reminders_sent=1)
    assert set(reminded.values_list("organisation", flat=True)) == {
        partners["cu"][0].pk,
        partners["state"][0].pk,
    }
    events = OutboxEvent.objects.filter(kind="approval.reminder")
    assert {e.payload["organisation"] for e in events} == {partners["cu"][0].pk, partners["state"][0].pk}
    assert DirectoryAuditEntry.objects.filter(event="partner_review_reminded", actor=None).count() == 2
    # non-interrupting: the tasks are still open and the round still completes
    for key in ("cu", "state"):
        organisation, referent = partners[key]
        do_approve_partner_review(_review(process, organisation), acting_user=referent)
    process.refresh_from_db()
    assert process.data["outcome"] == "approved" and process.status == STATUS.DONE


@pytest.mark.django_db
def test_the_worker_runs_the_reminder_job(settings):
    assert "directory.approvals.jobs.fire_due_reminders" in settings.WORKER_JOBS


@pytest.mark.django_db
def test_a_partner_sees_its_own_reviews_and_its_referent_has_them_in_the_inbox(world, partners):
    process = _start(world, partners)
    assert list(inbox_of(world.commune_user)) == [_review(process, world.commune)]
    assert not inbox_of(world.commune_2_user).exists()
    assert not inbox_of(world.landlord_agent).exists()
    assert partner_reviews_visible_to(world.commune_2_user).count() == 0
    do_approve_partner_review(_review(process, world.commune), acting_user=world.commune_user)
    assert not inbox_of(world.commune_user).exists()
    assert partner_reviews_visible_to(world.commune_user).count() == 1


def _run_in_threads(*targets):
    barrier = threading.Barrier(len(targets))
    results = [None] * len(targets)

    def runner(index, target):
        try:
            barrier.wait(timeout=10)
            results[index] = ("ok", target())
        except Exception as error:  # reported to the test
            results[index] = ("error", error)
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i, t)) for i, t in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_partners_answering_at_the_same_moment_are_joined_exactly_once(world, partners, on_postgres):
    if not on_postgres:
        pytest.skip("SQLite serialises writers: real concurrent answers need PostgreSQL")
    for _round in range(3):  # several rounds: the race is real each time
        process = _start(world, partners)
        reviews = [(_review(process, org), user) for org, user in partners.values()]
        answers = [(lambda r=r, u=u: do_approve_partner_review(r, acting_user=u)) for r, u in reviews]
        results = _run_in_threads(*answers)
        assert [status for status, _ in results] == ["ok"] * 3, results
        process = Process.objects.get(pk=process.pk)
        assert process.data["outcome"] == "approved"
        assert process.status == STATUS.DONE
        joins = Task.objects.filter(process=process, flow_task_type="JOIN")
        assert joins.count() == 1 and joins.get().status == STATUS.DONE
        assert Task.objects.filter(process=process, flow_task_type="FUNCTION").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_partner_answering_twice_at_once_is_recorded_once(world, partners, on_postgres):
    if not on_postgres:
        pytest.skip("SQLite serialises writers: real concurrent answers need PostgreSQL")
    process = _start(world, partners)
    review = _review(process, world.commune)
    results = _run_in_threads(
        lambda: do_approve_partner_review(review, acting_user=world.commune_user),
        lambda: do_request_changes_partner_review(review, acting_user=world.commune_user, comment="Non"),
    )
    assert sorted(status for status, _ in results) == ["error", "ok"], results
    assert isinstance(next(v for s, v in results if s == "error"), GuardFailed)
    assert DirectoryAuditEntry.objects.filter(target=f"partner_review:{review.pk}").count() == 1


@pytest.mark.django_db
def test_the_partners_referents_are_emailed_when_asked_and_when_reminded(
    world, partners, time_machine, mailoutbox
):
    from engine.outbox import dispatch

    time_machine.move_to(MONDAY_9, tick=False)
    for _org, user in partners.values():
        user.email = f"{user.username}@example.org"
        user.save()
    _start(world, partners)
    dispatch()
    asked = sorted(m.to[0] for m in mailoutbox)
    assert asked == ["commune@example.org", "cu-referent@example.org", "state-referent@example.org"]
    assert all("Votre avis est attendu" in m.subject for m in mailoutbox)
    mailoutbox.clear()
    time_machine.move_to(MONDAY_9 + timedelta(days=11), tick=False)
    jobs.fire_due_reminders()
    dispatch()
    assert len(mailoutbox) == 3 and all(m.subject.startswith("Relance") for m in mailoutbox)
