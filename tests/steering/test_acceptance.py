"""The issue's acceptance scenario through the action layer, with time controlled: a workshop and its
questionnaire, two communes answering (one after the reminder), the meeting held, decisions and
actions, reminders fired once, the open actions on the next meeting's agenda."""

import pytest
from django.core import mail
from icalendar import Calendar

from engine.errors import InvalidFields
from steering import actions
from steering.models import Action, ActionStatus, QuestionnaireResponse, SteeringAuditEntry
from tests.steering.conftest import deliver, paris, steering_events

pytestmark = pytest.mark.django_db


def test_a_workshop_from_questionnaire_to_the_follow_up_of_its_actions(people, time_machine):
    w = people
    time_machine.move_to(paris(2026, 10, 1, 9, 0), tick=False)
    workshop = actions.do_create_meeting(
        kind="partner_workshop",
        title="Atelier gestion des encombrants",
        starts_at=paris(2026, 11, 5, 9, 30),  # after the change to winter time
        ends_at=paris(2026, 11, 5, 12, 0),
        place="Mantes-la-Jolie, salle du conseil",
        invited_organisations=[w.commune.pk, w.commune_2.pk, w.landlord.pk],
        acting_user=w.dvq_officer,
    )
    topic = actions.do_propose_topic(
        workshop, title="Dépôts au pied des immeubles", acting_user=w.landlord_agent
    )
    actions.do_choose_topic(topic, acting_user=w.dvq_officer)
    questionnaire = actions.do_create_questionnaire(
        workshop,
        title="État des lieux des encombrants",
        deadline=paris(2026, 10, 25, 23, 59),
        reminder_at=paris(2026, 10, 20, 8, 0),
        communes=[w.commune.pk, w.commune_2.pk],
        questions=[
            {"text": "Nombre de dépôts signalés par mois", "type": "number", "required": True},
            {"text": "Fréquence de collecte", "type": "choice", "choices": ["Hebdomadaire", "Mensuelle"]},
            {"text": "Difficultés", "type": "multiple_choice", "choices": ["Accès", "Horaires", "Tri"]},
            {"text": "Commentaire", "type": "text"},
        ],
        acting_user=w.dvq_officer,
    )
    actions.do_send_questionnaire(questionnaire, acting_user=w.dvq_officer)
    actions.do_send_invitations(workshop, acting_user=w.dvq_officer)
    deliver()
    subjects = sorted(m.subject for m in mail.outbox)
    assert sum("Questionnaire à remplir" in s for s in subjects) == 2  # the two communes' referents
    assert sum("Invitation" in s for s in subjects) == 3  # two referents and the landlord's agent
    invitation = next(m for m in mail.outbox if m.to == ["commune@example.org"] and "Invitation" in m.subject)
    event = next(iter(Calendar.from_ical(invitation.attachments[0][1]).walk("VEVENT")))
    assert event["DTSTART"].dt.hour == 9 and event["DTSTART"].dt.utcoffset().total_seconds() == 3600
    q_number, q_choice, q_multi, _q_text = questionnaire.questions.all()

    # commune 1 answers before the reminder, as a draft first, then submits
    time_machine.move_to(paris(2026, 10, 10, 10, 0), tick=False)
    actions.do_save_answers(
        questionnaire, commune=w.commune, answers={q_number.pk: "12,5"}, acting_user=w.commune_user
    )
    with pytest.raises(InvalidFields) as refused:
        actions.do_save_answers(
            questionnaire,
            commune=w.commune,
            answers={q_choice.pk: "Annuelle"},
            submit=True,
            acting_user=w.commune_user,
        )
    assert (
        f"question_{q_number.pk}" in refused.value.errors
        and f"question_{q_choice.pk}" in refused.value.errors
    )
    actions.do_save_answers(
        questionnaire,
        commune=w.commune,
        answers={q_number.pk: "12,5", q_choice.pk: "Hebdomadaire", q_multi.pk: ["Tri", "Accès"]},
        submit=True,
        acting_user=w.commune_user,
    )
    # the reminder goes once, to the commune that has not answered
    mail.outbox.clear()
    time_machine.move_to(paris(2026, 10, 20, 8, 5), tick=False)
    assert actions.send_questionnaire_reminders() == 1
    assert actions.send_questionnaire_reminders() == 0
    deliver()
    assert [m.to for m in mail.outbox] == [["commune-2@example.org"]] and "Relance" in mail.outbox[0].subject
    # commune 2 answers after the reminder, then edits before the deadline
    time_machine.move_to(paris(2026, 10, 22, 16, 0), tick=False)
    actions.do_save_answers(
        questionnaire,
        commune=w.commune_2,
        answers={q_number.pk: "4"},
        submit=True,
        acting_user=w.commune_2_user,
    )
    actions.do_save_answers(
        questionnaire,
        commune=w.commune_2,
        answers={q_number.pk: "5"},
        submit=True,
        acting_user=w.commune_2_user,
    )
    responses = {r.commune.code: r for r in QuestionnaireResponse.objects.select_related("commune")}
    assert responses["commune-1"].answers[str(q_number.pk)] == "12.5"
    assert responses["commune-1"].answers[str(q_multi.pk)] == ["Accès", "Tri"]
    assert responses["commune-2"].answers == {str(q_number.pk): "5"}
    # after the deadline nothing changes any more
    time_machine.move_to(paris(2026, 10, 26, 8, 0), tick=False)
    with pytest.raises(InvalidFields):
        actions.do_save_answers(
            questionnaire, commune=w.commune_2, answers={q_number.pk: "6"}, acting_user=w.commune_2_user
        )
    assert QuestionnaireResponse.objects.get(commune=w.commune_2).answers == {str(q_number.pk): "5"}

    # the next workshop is planned before this one is held
    next_workshop = actions.do_create_meeting(
        kind="partner_workshop",
        title="Atelier de suivi",
        starts_at=paris(2027, 2, 4, 9, 30),
        ends_at=paris(2027, 2, 4, 12, 0),
        place="Les Mureaux",
        acting_user=w.dvq_officer,
    )
    # the meeting is held; decisions and actions
    time_machine.move_to(paris(2026, 11, 5, 12, 30), tick=False)
    (decision,) = actions.do_hold_meeting(
        workshop,
        minutes="État des lieux partagé.",
        attended=[w.commune_user.pk, w.landlord_agent.pk],
        decisions=["Organiser une collecte mensuelle des encombrants au pied des immeubles"],
        acting_user=w.dvq_officer,
    )
    with pytest.raises(InvalidFields) as refused:
        actions.do_create_action(title="Sans pilote", owner_organisation=None, acting_user=w.dvq_officer)
    assert "owner_organisation" in refused.value.errors
    collect = actions.do_create_action(
        title="Mettre en place la collecte mensuelle",
        decision=decision,
        owner_organisation=w.landlord,
        owner_person=w.landlord_agent,
        due_date=paris(2026, 12, 15, 0, 0).date(),
        qpv=w.qpv,
        acting_user=w.dvq_officer,
    )
    signage = actions.do_create_action(
        title="Poser des panneaux d'information",
        decision=decision,
        owner_organisation=w.commune,
        due_date=paris(2026, 11, 20, 0, 0).date(),
        acting_user=w.dvq_officer,
    )
    done = actions.do_create_action(
        title="Diffuser le compte rendu",
        meeting=workshop,
        owner_organisation=w.cu,
        owner_person=w.dvq_officer,
        due_date=paris(2026, 11, 10, 0, 0).date(),
        acting_user=w.dvq_officer,
    )
    actions.do_change_action_status(done, status=ActionStatus.DONE, acting_user=w.dvq_officer)
    actions.do_change_action_status(signage, status=ActionStatus.IN_PROGRESS, acting_user=w.commune_user)
    assert collect.meeting == workshop
    # the open actions are on the next workshop's agenda (the done one is not)
    agenda = list(next_workshop.agenda_items.values_list("action__title", flat=True))
    assert agenda == ["Mettre en place la collecte mensuelle", "Poser des panneaux d'information"]
    assert set(collect.discussed_at.all()) == {next_workshop}

    # reminders: 7 days before the due date, then when overdue, each exactly once
    mail.outbox.clear()
    time_machine.move_to(paris(2026, 11, 14, 7, 0), tick=False)
    assert actions.send_action_reminders() == 1  # signage due on the 20th
    assert actions.send_action_reminders() == 0
    time_machine.move_to(paris(2026, 11, 21, 7, 0), tick=False)
    assert actions.send_action_reminders() == 1  # signage overdue
    time_machine.move_to(paris(2026, 12, 8, 7, 0), tick=False)
    assert actions.send_action_reminders() == 1  # collect due on 15 December
    time_machine.move_to(paris(2026, 12, 16, 7, 0), tick=False)
    assert actions.send_action_reminders() == 1  # collect overdue
    assert actions.send_action_reminders() == 0
    deliver()
    assert sorted((m.to[0], m.subject.split(":")[0]) for m in mail.outbox) == [
        ("commune@example.org", "[GUP] Action attendue pour le 20 novembre 2026 "),
        ("commune@example.org", "[GUP] Action en retard "),
        ("landlord@example.org", "[GUP] Action attendue pour le 15 décembre 2026 "),
        ("landlord@example.org", "[GUP] Action en retard "),
    ]
    assert steering_events().count("steering.action_reminder") == 2
    assert steering_events().count("steering.action_overdue") == 2
    assert Action.objects.filter(overdue_sent_at__isnull=False).count() == 2
    assert SteeringAuditEntry.objects.filter(event="action_overdue_sent", actor=None).count() == 2
