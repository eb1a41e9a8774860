"""The partners' approval: parallel tasks, the Join (the last approval activates exactly once), the
reminder after the configured delay (once), a request for changes back to the author."""

import threading

import pytest
from django.db import connection

from engine import outbox
from engine.models import OutboxEvent
from procedures.sectors import approvals
from procedures.sectors.models import SectorApproval, SectorAuditEntry, SectorVersion


def test_submitting_opens_one_task_per_partner_and_queues_their_events(draft):
    approvals.do_submit_sector_version(draft.version, acting_user=draft.world.admin_user)
    draft.version.refresh_from_db()
    assert draft.version.status == "in_approval"
    tasks = SectorApproval.objects.filter(version=draft.version)
    assert sorted(t.partner.referent.username for t in tasks) == ["commune", "ctc-lead", "landlord"]
    assert OutboxEvent.objects.filter(kind="sector.approval_requested").count() == 3
    assert SectorAuditEntry.objects.filter(event="version_submitted").count() == 1


def test_the_version_becomes_active_only_when_every_partner_approved(draft):
    approvals.do_submit_sector_version(draft.version, acting_user=draft.world.admin_user)
    tasks = list(SectorApproval.objects.filter(version=draft.version).select_related("partner"))
    for task in tasks[:-1]:
        approvals.do_approve_sector_version(task, acting_user=task.partner.referent)
        assert SectorVersion.objects.get(pk=draft.version.pk).status == "in_approval"
    approvals.do_approve_sector_version(tasks[-1], acting_user=tasks[-1].partner.referent)
    assert SectorVersion.objects.get(pk=draft.version.pk).status == "active"
    assert OutboxEvent.objects.filter(kind="sector.version_activated").count() == 1


def test_the_reminder_goes_after_the_configured_delay_once_and_the_task_stays_open(
    draft, settings, time_machine
):
    settings.APPROVAL_REMINDER_DAYS = 3
    time_machine.move_to("2026-02-02 09:00 +01:00")
    approvals.do_submit_sector_version(draft.version, acting_user=draft.world.admin_user)
    first = SectorApproval.objects.filter(version=draft.version).select_related("partner").first()
    approvals.do_approve_sector_version(first, acting_user=first.partner.referent)
    time_machine.move_to("2026-02-04 09:00 +01:00")
    assert approvals.send_due_reminders() == 0
    time_machine.move_to("2026-02-05 09:01 +01:00")
    assert approvals.send_due_reminders() == 2
    assert approvals.send_due_reminders() == 0
    assert OutboxEvent.objects.filter(kind="sector.approval_reminder").count() == 2
    assert SectorApproval.objects.filter(state="pending", reminded_at__isnull=False).count() == 2


def test_a_request_for_changes_sends_the_draft_back_to_its_author(draft):
    approvals.do_submit_sector_version(draft.version, acting_user=draft.world.admin_user)
    task = SectorApproval.objects.get(version=draft.version, partner__organisation=draft.world.landlord)
    approvals.do_request_sector_changes(
        task, acting_user=draft.world.landlord_agent, comment="Ajouter le mail"
    )
    draft.version.refresh_from_db()
    assert draft.version.status == "draft"
    assert SectorApproval.objects.filter(version=draft.version, state="withdrawn").count() == 2
    event = OutboxEvent.objects.get(kind="sector.changes_requested")
    assert (
        event.payload["user"] == draft.world.admin_user.pk and event.payload["comment"] == "Ajouter le mail"
    )
    # resubmitted: a new round of tasks
    approvals.do_submit_sector_version(draft.version, acting_user=draft.world.admin_user)
    assert SectorApproval.objects.filter(version=draft.version, round=2, state="pending").count() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_three_partners_approving_at_the_same_moment_activate_the_version_once(sector_world, on_postgres):
    if not on_postgres:
        pytest.skip("SQLite serialises writers: the Join's lock is tested on PostgreSQL")
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
    assert SectorVersion.objects.get(pk=sector.version.pk).status == "active"
    assert SectorAuditEntry.objects.filter(event="version_activated").count() == 1
    assert OutboxEvent.objects.filter(kind="sector.version_activated").count() == 1


def test_the_referents_asked_to_approve_get_an_email_from_the_worker(draft, mailoutbox):
    referents = (draft.world.landlord_agent, draft.world.commune_user, draft.world.ctc_lead)
    for user in referents:
        user.email = f"{user.username}@example.org"
        user.save(update_fields=["email"])
    approvals.do_submit_sector_version(draft.version, acting_user=draft.world.admin_user)
    assert mailoutbox == []  # nothing is sent in the request: the worker delivers the outbox
    outbox.dispatch()
    assert sorted(address for mail in mailoutbox for address in mail.to) == sorted(u.email for u in referents)
    assert "attend votre validation" in mailoutbox[0].subject
