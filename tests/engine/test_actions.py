"""The engine's actions: role checks, guards, fields, actions, audit entries and outbox events."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from directory.access import user_key
from engine.actions import (
    do_answer_alert,
    do_assign_role,
    do_attach,
    do_close_alert,
    do_comment,
    do_fire_transition,
    do_raise_alert,
)
from engine.errors import ConcurrentChange, GuardFailed, InvalidFields, InvalidTransition, RoleNotAllowed
from engine.models import Alert, AlertState, AuditEntry, Case, Deadline, OutboxEvent, RoleHolder
from engine.queries import available_transitions, cases_where_user_holds, roles_of
from tests.engine.helpers import audit, events, holders_for, open_case, publish

PARIS = ZoneInfo("Europe/Paris")

pytestmark = pytest.mark.django_db


def test_opening_a_case_sets_the_initial_state_holders_deadlines_audit_and_event(world, case):
    case.refresh_from_db()
    assert (case.state, case.phase, case.revision, case.version.number) == ("submitted", "open", 1, 1)
    assert set(RoleHolder.objects.filter(case=case).values_list("role", flat=True)) == {
        "requester",
        "dispatcher",
        "handler",
        "supervisor",
        "dvq",
    }
    deadline = Deadline.objects.get(case=case)
    assert (deadline.kind, deadline.state) == ("acknowledge", "running")
    assert deadline.due_at == datetime(2026, 3, 4, 9, 0, tzinfo=PARIS)  # 2 business days of 7 h
    assert deadline.points.count() == 3
    assert audit(case) == [("opened", "", "submitted")]
    assert AuditEntry.objects.get(case=case).actor == world.commune_user
    assert [event.kind for event in events(case)] == ["case.opened"]


def test_it_refuses_to_open_a_case_for_someone_not_among_the_openers(world):
    publish()
    holders = holders_for(world)
    with pytest.raises(RoleNotAllowed, match="requester"):
        from engine.actions import do_open_case

        do_open_case("repair", acting_user=world.commune_2_user, role_holders=holders)
    assert not Case.objects.exists()
    assert not AuditEntry.objects.exists()


def test_it_refuses_unknown_roles_when_opening(world):
    publish()
    with pytest.raises(InvalidFields) as caught:
        open_case(world, holders={"requester": [user_key(world.commune_user)], "mayor": ["user:1"]})
    assert caught.value.errors == {"role_holders": "rôle(s) inconnu(s) : mayor"}
    assert not Case.objects.exists()


def test_a_handler_acknowledges_the_case(world, case):
    do_fire_transition(case, "acknowledge", acting_user=world.ctc_agent, fields={"note": " on it "})
    case.refresh_from_db()
    assert (case.state, case.revision, case.data) == ("acknowledged", 2, {"note": "on it"})
    entry = AuditEntry.objects.filter(case=case, event="transition").get()
    assert (entry.actor, entry.from_state, entry.to_state, entry.fields) == (
        world.ctc_agent,
        "submitted",
        "acknowledged",
        {"note": "on it"},
    )
    assert entry.data["transition"] == "acknowledge"
    assert ["stopped", "acknowledge"] in entry.data["deadlines"]
    notification = events(case, "notification")[0]
    assert notification.payload["role"] == "requester"
    assert notification.payload["message"] == "acknowledged"
    assert notification.payload["parties"] == [user_key(world.commune_user)]
    assert events(case, "case.transition")[0].payload["to"] == "acknowledged"
    states = dict(Deadline.objects.filter(case=case).values_list("kind", "state"))
    assert states == {"acknowledge": "met", "resolve": "running"}


def test_it_refuses_a_transition_to_someone_without_the_role_and_changes_nothing(world, case):
    with pytest.raises(RoleNotAllowed) as caught:
        do_fire_transition(case, "acknowledge", acting_user=world.commune_user)
    assert str(caught.value) == "Seuls ces rôles peuvent effectuer cette action : dispatcher, handler."
    case.refresh_from_db()
    assert (case.state, case.revision) == ("submitted", 1)
    assert audit(case) == [("opened", "", "submitted")]
    assert [event.kind for event in events(case)] == ["case.opened"]


def test_another_ctc_cannot_act_on_the_case(world, case):
    from tests.factories import make_user

    other = make_user(world.cu, unit=world.ctc_2, roles=["agent"])
    with pytest.raises(RoleNotAllowed):
        do_fire_transition(case, "acknowledge", acting_user=other)


def test_a_guard_failure_is_reported_and_changes_nothing(world):
    publish()
    holders = holders_for(world)
    del holders["handler"]
    case = open_case(world, holders=holders)
    with pytest.raises(GuardFailed) as caught:
        do_fire_transition(case, "acknowledge", acting_user=world.ctc_lead)
    assert str(caught.value) == "Personne ne tient encore le rôle « handler » sur ce dossier."
    case.refresh_from_db()
    assert (case.state, case.revision) == ("submitted", 1)
    assert len(audit(case)) == 1


def test_comment_required_needs_a_reason(world, case):
    with pytest.raises(GuardFailed) as caught:
        do_fire_transition(case, "reject", acting_user=world.ctc_lead, reason="  ")
    assert caught.value.field == "reason"
    do_fire_transition(case, "reject", acting_user=world.ctc_lead, reason="Not ours")
    case.refresh_from_db()
    assert (case.state, case.phase) == ("rejected", "closed")
    assert case.closed_at is not None
    assert AuditEntry.objects.get(case=case, event="transition").reason == "Not ours"
    assert Deadline.objects.get(case=case).state == "met"  # stops: {leave: submitted}


def test_field_required_guard_and_field_checks(world, case):
    do_fire_transition(case, "acknowledge", acting_user=world.ctc_agent)
    with pytest.raises(GuardFailed) as caught:
        do_fire_transition(case, "finish", acting_user=world.ctc_agent)
    assert caught.value.field == "outcome"
    with pytest.raises(InvalidFields) as caught:
        do_fire_transition(
            case,
            "finish",
            acting_user=world.ctc_agent,
            fields={"outcome": "painted", "cost": "x", "colour": 1},
        )
    assert caught.value.errors == {
        "colour": "champ inconnu (attendus : outcome, cost)",
        "outcome": "doit être l'une des valeurs repaired, replaced",
        "cost": "doit être un nombre",
    }
    do_fire_transition(
        case, "finish", acting_user=world.ctc_agent, fields={"outcome": "repaired", "cost": "12.5"}
    )
    case.refresh_from_db()
    assert case.state == "done"
    assert case.data == {"outcome": "repaired", "cost": 12.5, "finished": True}


def test_a_required_field_is_required(world, case):
    do_fire_transition(case, "acknowledge", acting_user=world.ctc_agent)
    with pytest.raises(InvalidFields) as caught:
        do_fire_transition(case, "wait", acting_user=world.ctc_agent)
    assert caught.value.errors == {"until": "ce champ est obligatoire"}
    with pytest.raises(InvalidFields):
        do_fire_transition(case, "wait", acting_user=world.ctc_agent, fields={"until": "next week"})
    assert Case.objects.get(pk=case.pk).state == "acknowledged"


def test_it_refuses_an_unknown_transition_or_one_not_from_this_state(world, case):
    with pytest.raises(InvalidTransition, match="Transition « fly » inconnue"):
        do_fire_transition(case, "fly", acting_user=world.ctc_agent)
    with pytest.raises(InvalidTransition, match="n'est pas possible depuis l'état « submitted »"):
        do_fire_transition(case, "finish", acting_user=world.ctc_agent)


def test_a_stale_expected_revision_is_a_conflict(world, case):
    with pytest.raises(ConcurrentChange):
        do_fire_transition(case, "acknowledge", acting_user=world.ctc_agent, expected_revision=0)
    do_fire_transition(case, "acknowledge", acting_user=world.ctc_agent, expected_revision=1)
    assert Case.objects.get(pk=case.pk).revision == 2


def test_two_actors_on_the_same_revision_exactly_one_wins(world, case):
    first = Case.objects.select_related("version").get(pk=case.pk)
    second = Case.objects.select_related("version").get(pk=case.pk)
    do_fire_transition(first, "acknowledge", acting_user=world.ctc_agent)
    with pytest.raises(ConcurrentChange):
        do_fire_transition(second, "reject", acting_user=world.ctc_lead, reason="no")
    case.refresh_from_db()
    assert (case.state, case.revision) == ("acknowledged", 2)
    assert [e for e in audit(case) if e[0] == "transition"] == [("transition", "submitted", "acknowledged")]
    assert not events(case, "case.transition")[1:]


def test_the_system_may_fire_any_transition_and_is_recorded_as_such(case):
    do_fire_transition(case, "reject", acting_user=None, reason="duplicate")
    entry = AuditEntry.objects.get(case=case, event="transition")
    assert entry.actor is None


def test_available_transitions_come_from_the_same_check(world, case):
    codes = {info.code: info for info in available_transitions(case, world.ctc_agent)}
    assert set(codes) == {"acknowledge"}
    assert codes["acknowledge"].ready
    lead = {info.code: info for info in available_transitions(case, world.ctc_lead)}
    assert set(lead) == {"acknowledge", "reject"}
    assert lead["reject"].guard_failures == [
        {
            "guard": "comment_required",
            "field": "reason",
            "message": "Un commentaire est obligatoire pour cette étape.",
        }
    ]
    assert available_transitions(case, world.commune_user) == []
    assert available_transitions(case, world.commune_2_user) == []


def test_roles_of_and_cases_where_user_holds(world, case):
    assert roles_of(world.ctc_lead, case) == {"dispatcher", "handler", "supervisor"}
    assert roles_of(world.dvq_officer, case) == {"dvq"}
    assert list(cases_where_user_holds(world.ctc_agent)) == [case]
    assert list(cases_where_user_holds(world.ctc_agent, roles=["requester"])) == []
    assert list(cases_where_user_holds(world.commune_2_user)) == []


def test_assigning_a_role_replaces_its_holders_bumps_the_revision_and_is_audited(world, case):
    do_assign_role(case, "handler", [user_key(world.ctc_agent)], acting_user=world.ctc_lead, reason="direct")
    assert list(RoleHolder.objects.filter(case=case, role="handler").values_list("party", flat=True)) == [
        user_key(world.ctc_agent)
    ]
    case.refresh_from_db()
    assert case.revision == 2
    entry = AuditEntry.objects.get(case=case, event="role_assigned")
    assert entry.data["after"] == [user_key(world.ctc_agent)]
    assert entry.data["before"] == [f"unit:{world.ctc.pk}"]
    assert events(case, "case.role_assigned")[0].payload["parties"] == [user_key(world.ctc_agent)]
    assert roles_of(world.ctc_lead, case) == {"dispatcher", "supervisor"}


def test_assigning_a_role_is_refused_to_the_requester(world, case):
    with pytest.raises(RoleNotAllowed):
        do_assign_role(case, "handler", ["user:1"], acting_user=world.commune_user)
    with pytest.raises(InvalidFields):
        do_assign_role(case, "mayor", ["user:1"], acting_user=world.ctc_lead)
    assert Case.objects.get(pk=case.pk).revision == 1


def test_an_alert_is_raised_answered_and_closed(world, case):
    alert = do_raise_alert(case, "urgency_check", acting_user=world.dvq_officer, reason="not urgent")
    alert.refresh_from_db()
    assert (alert.state, alert.to_role, alert.raised_by) == ("raised", "requester", world.dvq_officer)
    assert alert.answer_due_at == datetime(2026, 3, 5, 9, 0, tzinfo=PARIS)  # 3 business days
    raised = events(case, "alert.raised")[0]
    assert raised.payload["parties"] == [user_key(world.commune_user)]
    with pytest.raises(RoleNotAllowed):
        do_answer_alert(alert, acting_user=world.ctc_agent, answer="x")
    do_answer_alert(alert, acting_user=world.commune_user, answer="A child was hurt")
    with pytest.raises(InvalidFields) as caught:
        do_close_alert(alert, "maybe", acting_user=world.dvq_officer)
    assert caught.value.errors == {"outcome": "doit être l'une des issues upheld, dismissed"}
    with pytest.raises(RoleNotAllowed):
        do_close_alert(alert, "dismissed", acting_user=world.commune_user)
    do_close_alert(alert, "dismissed", acting_user=world.dvq_officer, note="justified")
    alert.refresh_from_db()
    assert (alert.state, alert.outcome, alert.answer) == ("closed", "dismissed", "A child was hurt")
    assert [e[0] for e in audit(case)][-3:] == ["alert_raised", "alert_answered", "alert_closed"]
    assert [e.kind for e in events(case)][-3:] == ["alert.raised", "alert.answered", "alert.closed"]


def test_an_alert_cannot_be_raised_by_a_role_not_allowed_or_answered_twice(world, case):
    with pytest.raises(RoleNotAllowed):
        do_raise_alert(case, "urgency_check", acting_user=world.ctc_agent)
    with pytest.raises(InvalidFields):
        do_raise_alert(case, "nope", acting_user=world.dvq_officer)
    assert not Alert.objects.exists()
    alert = do_raise_alert(case, "urgency_check", acting_user=world.dvq_officer)
    do_answer_alert(alert, acting_user=world.commune_user, answer="because")
    with pytest.raises(InvalidTransition):
        do_answer_alert(alert, acting_user=world.commune_user, answer="again")


def test_a_concurrent_alert_change_is_a_conflict(world, case):
    alert = do_raise_alert(case, "urgency_check", acting_user=world.dvq_officer)
    stale = Alert.objects.get(pk=alert.pk)
    do_close_alert(alert, "upheld", acting_user=world.dvq_officer)
    with pytest.raises(ConcurrentChange):
        do_answer_alert(stale, acting_user=world.commune_user, answer="late")
    assert Alert.objects.get(pk=alert.pk).state == AlertState.CLOSED
    assert AuditEntry.objects.filter(case=case, event="alert_answered").count() == 0


def test_role_holders_comment_and_attach(world, case, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.ENGINE_ATTACHMENT_CHECK = None  # the engine's own check: any content, within the limit
    comment = do_comment(case, acting_user=world.commune_user, body=" Thanks ")
    assert (comment.body, comment.internal, comment.author) == ("Thanks", False, world.commune_user)
    with pytest.raises(RoleNotAllowed):
        do_comment(case, acting_user=world.commune_2_user, body="hello")
    with pytest.raises(InvalidFields):
        do_comment(case, acting_user=world.commune_user, body="")
    attachment = do_attach(
        case,
        acting_user=world.ctc_agent,
        file=SimpleUploadedFile("photo.jpg", b"jpegdata"),
        description="before",
    )
    assert (attachment.name, attachment.size_bytes, attachment.content_type) == (
        "photo.jpg",
        8,
        "application/octet-stream",
    )
    assert attachment.file.read() == b"jpegdata"
    assert [e[0] for e in audit(case)][-2:] == ["commented", "attached"]
    assert [e.kind for e in events(case)][-2:] == ["case.commented", "case.attached"]
    assert Case.objects.get(pk=case.pk).revision == 1


def test_the_audit_trail_is_append_only(case):
    entry = AuditEntry.objects.get(case=case)
    entry.reason = "rewritten"
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()
    with pytest.raises(TypeError):
        AuditEntry.objects.filter(case=case).update(reason="x")
    with pytest.raises(TypeError):
        AuditEntry.objects.filter(case=case).delete()
    assert AuditEntry.objects.get(case=case).reason == ""


def test_firing_a_transition_costs_a_bounded_number_of_queries(world, case, django_assert_max_num_queries):
    case = Case.objects.select_related("version").get(pk=case.pk)
    from engine.access import principal_keys

    principal_keys(world.ctc_agent)  # the user's keys are computed once per request
    with django_assert_max_num_queries(12):
        do_fire_transition(case, "acknowledge", acting_user=world.ctc_agent)
    assert OutboxEvent.objects.filter(case=case).count() == 3
