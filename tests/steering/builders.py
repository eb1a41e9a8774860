"""Small steering objects for the web and browser tests, built through the actions."""

from steering import actions
from tests.steering.conftest import paris


def workshop_with_questionnaire(world, *, sent=True):
    workshop = actions.do_create_meeting(
        kind="partner_workshop",
        title="Atelier encombrants",
        starts_at=paris(2026, 11, 5, 9, 30),
        ends_at=paris(2026, 11, 5, 12, 0),
        place="Mairie de Mantes-la-Jolie",
        invited_organisations=[world.commune.pk, world.commune_2.pk],
        acting_user=world.dvq_officer,
    )
    questionnaire = actions.do_create_questionnaire(
        workshop,
        title="État des lieux des encombrants",
        deadline=paris(2026, 10, 25, 23, 59),
        reminder_at=paris(2026, 10, 20, 8, 0),
        communes=[world.commune.pk, world.commune_2.pk],
        questions=[
            {"text": "Nombre de dépôts signalés par mois", "type": "number", "required": True},
            {"text": "Fréquence de collecte", "type": "choice", "choices": ["Hebdomadaire", "Mensuelle"]},
            {"text": "Difficultés", "type": "multiple_choice", "choices": ["Accès", "Horaires", "Tri"]},
            {"text": "Commentaire", "type": "text"},
        ],
        acting_user=world.dvq_officer,
    )
    if sent:
        actions.do_send_questionnaire(questionnaire, acting_user=world.dvq_officer)
    return workshop, questionnaire


def follow_up_actions(world):
    """Four actions of the commune's territory in every state, and one of the other commune."""
    due = paris(2026, 9, 15, 0, 0).date()
    made = [
        actions.do_create_action(
            title=f"Action {status}",
            owner_organisation=world.commune,
            due_date=due,
            acting_user=world.dvq_officer,
        )
        for status in ("planned", "in_progress", "done", "abandoned")
    ]
    for action, status in zip(made[1:], ("in_progress", "done", "abandoned"), strict=True):
        actions.do_change_action_status(
            action, status=status, reason="Plus nécessaire", acting_user=world.dvq_officer
        )
    other = actions.do_create_action(
        title="Action de l'autre commune", owner_organisation=world.commune_2, acting_user=world.dvq_officer
    )
    return made, other
