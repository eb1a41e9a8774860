"""Actions and recommendations through the action layer: owners, audit with old and new values,
reminders claimed once even when two workers race, recommendations from another module."""

import pytest

from engine.errors import InvalidFields, RoleNotAllowed
from steering import actions
from steering.models import Action, Recommendation, SteeringAuditEntry
from tests.steering.conftest import audit_events, paris, steering_events

pytestmark = pytest.mark.django_db


def test_an_owner_moves_its_action_but_may_not_hand_it_to_someone_else(people, now):
    action = actions.do_create_action(
        title="Relancer le bailleur", owner_organisation=people.commune, acting_user=people.dvq_officer
    )
    actions.do_update_action(
        action, changes={"due_date": paris(2026, 10, 30, 0, 0).date()}, acting_user=people.commune_user
    )
    with pytest.raises(RoleNotAllowed):
        actions.do_update_action(
            action, changes={"owner_organisation": people.landlord.pk}, acting_user=people.commune_user
        )
    with pytest.raises(RoleNotAllowed):
        actions.do_change_action_status(action, status="done", acting_user=people.commune_2_user)
    with pytest.raises(InvalidFields) as refused:
        actions.do_update_action(
            action, changes={"owner_person": people.landlord_agent.pk}, acting_user=people.dvq_officer
        )
    assert "owner_person" in refused.value.errors
    entry = SteeringAuditEntry.objects.get(event="action_changed")
    assert entry.actor == people.commune_user
    assert entry.data == {"old": {"due_date": None}, "new": {"due_date": "2026-10-30"}}
    assert Action.objects.get().owner_organisation == people.commune


def test_a_new_due_date_gets_its_own_reminder_and_two_racing_workers_send_it_once(people, now, time_machine):
    action = actions.do_create_action(
        title="Nettoyer le local",
        owner_organisation=people.commune,
        owner_person=people.commune_user,
        due_date=paris(2026, 10, 5, 0, 0).date(),
        acting_user=people.dvq_officer,
    )
    # a second worker already claimed the reminder between this one's read and its update
    from steering.actions import follow_up

    assert follow_up._claim_and_emit(action.pk, "reminder_sent_at", "steering.action_reminder", now) == 1
    assert actions.send_action_reminders() == 0
    assert follow_up._claim_and_emit(action.pk, "reminder_sent_at", "steering.action_reminder", now) == 0
    assert steering_events() == ["steering.action_reminder"]
    actions.do_update_action(
        action, changes={"due_date": paris(2026, 10, 6, 0, 0).date()}, acting_user=people.dvq_officer
    )
    assert actions.send_action_reminders() == 1
    actions.do_change_action_status(action, status="done", acting_user=people.commune_user)
    time_machine.move_to(paris(2026, 10, 10, 8, 0), tick=False)
    assert actions.send_action_reminders() == 0  # a done action is never overdue
    assert steering_events() == ["steering.action_reminder", "steering.action_reminder"]


def test_a_questionnaire_with_bad_questions_is_refused_whole(people, now):
    workshop = actions.do_create_meeting(
        kind="partner_workshop",
        title="Atelier",
        starts_at=paris(2026, 11, 5, 9, 30),
        ends_at=paris(2026, 11, 5, 12, 0),
        place="Mairie",
        acting_user=people.dvq_officer,
    )
    with pytest.raises(InvalidFields) as refused:
        actions.do_create_questionnaire(
            workshop,
            title="État des lieux",
            deadline=paris(2026, 11, 6, 0, 0),
            communes=[people.commune.pk, people.landlord.pk],
            questions=[{"text": "", "type": "choice", "choices": ["Oui"]}],
            acting_user=people.dvq_officer,
        )
    assert set(refused.value.errors) == {"deadline", "communes"}
    with pytest.raises(InvalidFields) as refused:
        actions.do_create_questionnaire(
            workshop,
            title="État des lieux",
            deadline=paris(2026, 10, 20, 0, 0),
            communes=[people.commune.pk],
            questions=[{"text": "", "type": "choice", "choices": ["Oui"]}, {"text": "?", "type": "date"}],
            acting_user=people.dvq_officer,
        )
    message = refused.value.errors["questions"]
    assert "question 1 n'a pas de libellé" in message and "au moins deux choix" in message
    assert "type inconnu" in message
    assert audit_events() == ["meeting_created"]


def test_another_module_creates_a_recommendation_and_the_answer_is_recorded(people, now):
    with pytest.raises(InvalidFields) as refused:
        actions.do_create_recommendation(issue="", recommendation="", acting_user=people.dvq_officer)
    assert set(refused.value.errors) == {"issue", "recommendation", "project"}
    row = actions.do_create_recommendation(
        qpv=people.qpv,
        issue="Locaux à encombrants trop loin des halls",
        recommendation="Un local par bâtiment",
        source="diagnostics.finding:7",
        acting_user=people.dvq_officer,
    )
    with pytest.raises(InvalidFields):
        actions.do_answer_recommendation(row, status="taken", acting_user=people.dvq_officer)
    actions.do_answer_recommendation(
        row, status="taken", answer="Prévu au plan guide", acting_user=people.dvq_officer
    )
    assert Recommendation.objects.get().status == "taken"
    assert audit_events() == ["recommendation_created", "recommendation_answered"]
