"""Duplicates and merging, redirect to a landlord, the reopen window, auto-closing, isolation, escalations,
the DVQ's alert right, notifications preferences."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from engine.errors import GuardFailed, InvalidFields, InvalidTransition, RoleNotAllowed
from engine.models import Alert, AuditEntry, Deadline, OutboxEvent
from engine.sweeper import sweep
from procedures import actions
from procedures.duplicates import duplicate_candidates
from procedures.models import (
    InterventionRequest,
    Notification,
    NotificationPreference,
    RequestFollower,
    RequestMessage,
    ServiceLevel,
)
from procedures.scope import requests_visible_to
from tests.factories import POINT_IN_COMMUNE_1, POINT_IN_QPV, make_user
from tests.procedures.helpers_actions import audit_events, deliver, file, paris

LON, LAT = POINT_IN_COMMUNE_1


def to_done(request, world):
    for code, fields in [
        ("acknowledge", {}),
        ("qualify", {}),
        ("start_work", {}),
        ("finish", {"resolution_note": "Enlevé."}),
    ]:
        actions.do_transition_request(request, code, acting_user=world.ctc_agent, fields=fields)
    request.refresh_from_db()
    return request


# --- duplicates ------------------------------------------------------------------------------------------
def test_candidates_are_offered_before_filing_and_the_commune_can_follow_instead(requests_world, bulky):
    world = requests_world
    master = file(world, bulky)
    assert list(duplicate_candidates(bulky, LON + 0.0002, LAT)) == [master]
    # Another commune's user may follow it (e.g. the request is on the border of its territory).
    follower = actions.do_follow_request(master, acting_user=world.commune_2_user)
    assert (follower.organisation, follower.via_merge) == (world.commune_2, False)
    assert master in requests_visible_to(world.commune_2_user)
    with pytest.raises(InvalidFields):
        actions.do_follow_request(master, acting_user=world.commune_user)  # it filed it


def test_merging_a_duplicate_makes_both_requesters_receive_the_master_s_messages(requests_world, bulky):
    world = requests_world
    master = file(world, bulky)
    other_referent = type(world.commune_user).objects.create(
        username="commune-bis", organisation=world.landlord, email="bailleur@example.org"
    )
    other_referent.role_assignments.create(role="requester")
    duplicate = file(world, bulky, user=other_referent, description="Même canapé.")
    deliver()
    mail.outbox.clear()

    actions.do_merge_duplicate(duplicate, master, acting_user=world.ctc_agent, reason="Même dépôt.")
    duplicate.refresh_from_db()
    assert (duplicate.case.state, duplicate.duplicate_of, duplicate.closed_at is not None) == (
        "duplicate",
        master,
        True,
    )
    assert RequestFollower.objects.get(request=master).organisation == world.landlord
    assert duplicate not in duplicate_candidates(bulky, LON, LAT)
    assert audit_events(duplicate)[-1] == ("transition", "duplicate", "ctc")

    actions.do_transition_request(master, "acknowledge", acting_user=world.ctc_agent)
    deliver()
    to_landlord = [m for m in mail.outbox if "bailleur@example.org" in m.to]
    subjects = sorted(m.subject.split(" · ")[0] for m in to_landlord)
    assert subjects == sorted(
        [f"[GUP] {duplicate.reference}", f"[GUP] {master.reference}"]
    )  # merged, then ack
    assert "CTC Un" in next(m.body for m in to_landlord if master.reference in m.subject.split(" · ")[0])
    assert Notification.objects.filter(user=other_referent, request=master, event="message").exists()
    assert master in requests_visible_to(other_referent)


def test_a_request_cannot_be_merged_into_itself_or_into_a_closed_request(requests_world, bulky):
    world = requests_world
    request = file(world, bulky)
    with pytest.raises(GuardFailed):
        actions.do_merge_duplicate(request, request, acting_user=world.ctc_agent)
    closed = to_done(file(world, bulky), world)
    actions.do_confirm_request(closed, acting_user=world.commune_user)
    closed.refresh_from_db()
    with pytest.raises(GuardFailed):
        actions.do_merge_duplicate(request, closed, acting_user=world.ctc_agent)
    request.refresh_from_db()
    assert request.case.state == "submitted" and request.duplicate_of is None


# --- redirect --------------------------------------------------------------------------------------------
def test_a_request_redirected_to_a_landlord_is_handled_by_the_landlord_and_the_commune_told_why(
    requests_world, bulky
):
    world = requests_world
    world.landlord.phone = "01 02 03 04 05"
    world.landlord.save()
    request = file(world, bulky, point=POINT_IN_QPV)
    assert request not in requests_visible_to(world.landlord_agent)
    with pytest.raises(InvalidFields):
        actions.do_redirect_request(request, acting_user=world.ctc_agent, reason="", target=world.landlord)

    actions.do_redirect_request(
        request, acting_user=world.ctc_agent, reason="Terrain du bailleur.", target=world.landlord
    )
    request.refresh_from_db()
    assert (request.case.state, request.handler_organisation, request.handler_unit) == (
        "redirected",
        world.landlord,
        None,
    )
    message = RequestMessage.objects.filter(request=request, kind="redirected").get()
    assert (
        "Bailleur" in message.body
        and "Terrain du bailleur." in message.body
        and "01 02 03 04 05" in message.body
    )
    assert request in requests_visible_to(world.landlord_agent)
    deliver()
    assert Notification.objects.filter(user=world.landlord_agent, request=request, event="filed").exists()
    # The landlord acts with the same procedure; the CTC still dispatches.
    actions.do_transition_request(request, "acknowledge", acting_user=world.landlord_agent)
    actions.do_transition_request(request, "qualify", acting_user=world.landlord_agent)
    request.refresh_from_db()
    assert request.case.state == "qualified"
    assert [e[0] for e in audit_events(request)][-4:] == [
        "transition",
        "role_assigned",
        "transition",
        "transition",
    ]


def test_redirecting_to_the_same_manager_is_refused(requests_world, bulky):
    world = requests_world
    request = file(world, bulky)
    with pytest.raises(InvalidFields) as raised:
        actions.do_redirect_request(request, acting_user=world.ctc_agent, reason="?", target=world.ctc)
    assert "target" in raised.value.errors
    with pytest.raises(InvalidFields):
        actions.do_redirect_request(request, acting_user=world.ctc_agent, reason="Re-route")  # same routing


# --- reopen window and auto-close ------------------------------------------------------------------------
def test_the_commune_can_reopen_within_the_window_and_not_after(
    requests_world, bulky, time_machine, settings
):
    world = requests_world
    settings.GUP_REOPEN_WINDOW_DAYS = 5
    time_machine.move_to(paris(2026, 6, 1, 9, 0), tick=False)
    request = to_done(file(world, bulky), world)
    time_machine.move_to(paris(2026, 6, 5, 9, 0), tick=False)
    with pytest.raises(GuardFailed):
        actions.do_reopen_request(request, acting_user=world.commune_user, reason="")  # a reason is needed
    actions.do_reopen_request(request, acting_user=world.commune_user, reason="Le canapé est revenu.")
    request.refresh_from_db()
    assert request.case.state == "qualified" and request.closed_at is None
    resolve = Deadline.objects.filter(case=request.case, kind="resolve").latest("pk")
    assert resolve.state == "running" and resolve.started_at == paris(2026, 6, 5, 9, 0)

    actions.do_transition_request(
        request, "finish", acting_user=world.ctc_agent, fields={"resolution_note": "Enlevé encore."}
    )
    actions.do_confirm_request(request, acting_user=world.commune_user)
    time_machine.move_to(paris(2026, 6, 10, 9, 1), tick=False)
    with pytest.raises(GuardFailed) as raised:
        actions.do_reopen_request(request, acting_user=world.commune_user, reason="Encore !")
    assert "5 jours" in str(raised.value)
    request.refresh_from_db()
    assert request.case.state == "closed"


def test_a_done_request_closes_itself_after_the_configured_days_without_an_answer(
    requests_world, bulky, time_machine, settings
):
    world = requests_world
    settings.GUP_AUTO_CLOSE_DAYS = 7
    time_machine.move_to(paris(2026, 6, 1, 9, 0), tick=False)
    waiting = to_done(file(world, bulky), world)
    answered = to_done(file(world, bulky, description="Autre"), world)
    actions.do_confirm_request(answered, acting_user=world.commune_user)
    time_machine.move_to(paris(2026, 6, 8, 8, 59), tick=False)
    assert actions.auto_close_done_requests() == 0
    time_machine.move_to(paris(2026, 6, 8, 9, 1), tick=False)
    assert actions.auto_close_done_requests() == 1
    assert actions.auto_close_done_requests() == 0
    waiting.refresh_from_db()
    assert waiting.case.state == "closed" and waiting.closed_at == paris(2026, 6, 8, 9, 1)
    assert audit_events(waiting)[-1] == ("transition", "closed", None)
    assert RequestMessage.objects.filter(request=waiting, kind="closed").exists()


def test_the_auto_close_job_is_one_of_the_worker_jobs(settings):
    assert "procedures.actions.auto_close_done_requests" in settings.WORKER_JOBS


# --- isolation -------------------------------------------------------------------------------------------
def test_the_second_commune_can_neither_see_nor_act_on_the_first_commune_s_request(requests_world, bulky):
    world = requests_world
    request = file(world, bulky, urgency="urgent")
    assert request not in requests_visible_to(world.commune_2_user)
    assert not requests_visible_to(world.commune_2_user).filter(pk=request.pk).exists()
    before = (AuditEntry.objects.count(), OutboxEvent.objects.count())
    ctc_2_agent = make_user(world.cu, unit=world.ctc_2, roles=["agent"])
    for attempt in (
        lambda: actions.do_transition_request(request, "acknowledge", acting_user=world.commune_2_user),
        lambda: actions.do_justify_urgency(request, acting_user=world.commune_2_user, answer="Je réponds"),
        lambda: actions.do_transition_request(request, "acknowledge", acting_user=ctc_2_agent),
    ):
        with pytest.raises(RoleNotAllowed):
            attempt()
    assert (AuditEntry.objects.count(), OutboxEvent.objects.count()) == before
    request.refresh_from_db()
    assert request.case.state == "submitted"


# --- escalations -----------------------------------------------------------------------------------------
def test_deadlines_warn_then_alert_the_supervisor_at_the_breach_and_the_dvq_at_twice_the_target(
    requests_world, bulky, time_machine
):
    world = requests_world
    ServiceLevel.objects.create(name="Std", acknowledge_hours=7, resolve_hours=70)
    time_machine.move_to(paris(2026, 6, 1, 8, 30), tick=False)  # Monday
    request = file(world, bulky)
    time_machine.move_to(paris(2026, 6, 1, 15, 31), tick=False)  # 5.25 h: -25 % of the 7 h
    assert sweep() == 1
    time_machine.move_to(paris(2026, 6, 2, 8, 31), tick=False)  # the breach
    assert sweep() == 1
    assert Alert.objects.get(case=request.case).to_role == "supervisor"
    time_machine.move_to(paris(2026, 6, 3, 8, 31), tick=False)  # twice the target
    assert sweep() == 1
    assert list(Alert.objects.filter(case=request.case).values_list("to_role", flat=True)) == [
        "supervisor",
        "dvq",
    ]
    assert request in requests_visible_to(world.dvq_officer)  # any request with an alert
    deliver()
    assert Notification.objects.filter(user=world.ctc_agent, event="deadline").exists()
    assert Notification.objects.filter(user=world.ctc_lead, event="alert").exists()
    assert not Notification.objects.filter(user=world.ctc_agent, event="alert").exists()  # not a supervisor
    assert Notification.objects.filter(user=world.dvq_officer, event="alert").exists()


# --- the DVQ's alert right -------------------------------------------------------------------------------
def test_the_dvq_upholds_its_alert_and_the_urgency_is_removed(requests_world, bulky):
    world = requests_world
    ServiceLevel.objects.create(name="Urgent", urgency="urgent", acknowledge_hours=1, resolve_hours=7)
    ServiceLevel.objects.create(name="Normal", acknowledge_hours=7, resolve_hours=35)
    request = file(world, bulky, urgency="urgent")
    actions.do_justify_urgency(request, acting_user=world.commune_user, answer="C'est gênant.")
    actions.do_uphold_urgency_alert(request, acting_user=world.dvq_officer, note="Aucun critère.")
    request.refresh_from_db()
    assert (request.urgency, request.urgency_requested, request.urgency_justified) == (
        "normal",
        "urgent",
        False,
    )
    assert Alert.objects.get(case=request.case).outcome == "upheld"
    assert RequestMessage.objects.filter(request=request, kind="urgency").count() == 2


def test_the_dvq_can_raise_an_alert_on_any_urgent_request_but_not_a_commune(requests_world, bulky):
    world = requests_world
    request = file(world, bulky, urgency="urgent", urgency_criteria=["access-blocked"])
    with pytest.raises(RoleNotAllowed):
        actions.do_raise_urgency_alert(request, acting_user=world.commune_user, reason="?")
    alert = actions.do_raise_urgency_alert(
        request, acting_user=world.dvq_officer, reason="Accès non bloqué ?"
    )
    assert (alert.state, alert.raised_by, alert.to_role) == ("raised", world.dvq_officer, "requester")
    with pytest.raises(InvalidTransition):
        actions.do_raise_urgency_alert(request, acting_user=world.dvq_officer, reason="encore")
    normal = file(world, bulky)
    with pytest.raises(InvalidFields):
        actions.do_raise_urgency_alert(normal, acting_user=world.dvq_officer, reason="?")


# --- notifications ---------------------------------------------------------------------------------------
def test_each_user_receives_only_the_notifications_they_chose(requests_world, bulky):
    world = requests_world
    world.commune_user.email = "referent@commune-une.example"
    world.commune_user.save()
    NotificationPreference.objects.create(
        user=world.commune_user, event="message", by_email=False, in_app=True
    )
    NotificationPreference.objects.create(user=world.ctc_agent, event="filed", by_email=True, in_app=False)
    request = file(world, bulky)
    assert not Notification.objects.exists()  # nothing before the outbox is delivered
    deliver()
    actions.do_transition_request(request, "acknowledge", acting_user=world.ctc_agent)
    deliver()
    assert not [m for m in mail.outbox if "referent@commune-une.example" in m.to]
    assert Notification.objects.filter(user=world.commune_user, event="message").count() == 2
    assert not Notification.objects.filter(user=world.ctc_agent, event="filed").exists()
    assert Notification.objects.filter(user=world.ctc_lead, event="filed").exists()
    deliver()  # at least once: a second delivery changes nothing
    assert Notification.objects.filter(user=world.commune_user, event="message").count() == 2


def test_urgency_counts_follow_the_dvq_decisions(requests_world, bulky):
    from procedures.stats import urgency_counts

    world = requests_world
    file(world, bulky, urgency="urgent", urgency_criteria=["access-blocked"])
    dismissed = file(world, bulky, urgency="urgent")
    upheld = file(world, bulky, urgency="urgent")
    actions.do_dismiss_urgency_alert(dismissed, acting_user=world.dvq_officer)
    actions.do_uphold_urgency_alert(upheld, acting_user=world.dvq_officer)
    [row] = urgency_counts()
    assert (row["commune"], row["justified"], row["unjustified"]) == ("Commune Une", 2, 1)
    assert row["month"] == timezone.localdate().replace(day=1)
    assert InterventionRequest.objects.count() == 3
    assert timedelta(0) <= timezone.now() - upheld.created_at


def test_a_closed_request_can_be_reopened_within_the_window(requests_world, bulky, time_machine):
    world = requests_world
    time_machine.move_to(paris(2026, 6, 1, 9, 0), tick=False)
    request = to_done(file(world, bulky), world)
    actions.do_confirm_request(request, acting_user=world.commune_user)
    time_machine.move_to(paris(2026, 6, 3, 9, 0), tick=False)
    actions.do_reopen_request(request, acting_user=world.commune_user, reason="Ce n'est pas fini.")
    request.refresh_from_db()
    assert (request.case.state, request.case.closed_at, request.closed_at) == ("qualified", None, None)
    assert request in duplicate_candidates(bulky, LON, LAT)  # open again
    assert [e[1] for e in audit_events(request)][-2:] == ["closed", "qualified"]
    with pytest.raises(RoleNotAllowed):  # the commune does not close it itself: the handler finishes
        actions.do_transition_request(
            request, "finish", acting_user=world.commune_user, fields={"resolution_note": "Fait"}
        )
