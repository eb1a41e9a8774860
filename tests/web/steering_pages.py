"""Steering objects for the browser tests (relative to now: the live server runs in real time), made
once per test through the actions."""

from datetime import timedelta

from django.utils import timezone

from directory.models import User
from steering import actions
from tests.steering.conftest import ensure_meeting_kinds


def steering_data(data):
    """Create (once, kept in ``data``) a workshop with its questionnaire, an action, a guide page."""
    if "steering" in data:
        return data["steering"]
    ensure_meeting_kinds()
    dvq = User.objects.get(username="dvq")
    commune = User.objects.get(username="commune")
    now = timezone.now().replace(microsecond=0)
    workshop = actions.do_create_meeting(
        kind="partner_workshop",
        title="Atelier encombrants",
        starts_at=now + timedelta(days=20),
        ends_at=now + timedelta(days=20, hours=2),
        place="Mairie",
        invited_organisations=[commune.organisation_id],
        agenda=["Tour de table"],
        acting_user=dvq,
    )
    questionnaire = actions.do_create_questionnaire(
        workshop,
        title="État des lieux",
        deadline=now + timedelta(days=10),
        communes=[commune.organisation_id],
        questions=[
            {"text": "Nombre de dépôts signalés par mois", "type": "number", "required": True},
            {"text": "Fréquence de collecte", "type": "choice", "choices": ["Hebdomadaire", "Mensuelle"]},
            {"text": "Difficultés", "type": "multiple_choice", "choices": ["Accès", "Horaires", "Tri"]},
            {"text": "Commentaire", "type": "text"},
        ],
        acting_user=dvq,
    )
    actions.do_send_questionnaire(questionnaire, acting_user=dvq)
    overdue = actions.do_create_action(
        title="Relancer le bailleur",
        owner_organisation=commune.organisation,
        owner_person=commune,
        due_date=timezone.localdate() - timedelta(days=3),
        meeting=workshop,
        acting_user=dvq,
    )
    actions.do_create_action(
        title="Poser des panneaux",
        owner_organisation=commune.organisation,
        due_date=timezone.localdate() + timedelta(days=30),
        acting_user=dvq,
    )
    page = actions.do_save_guide_page(
        slug="urgence", title="Urgence", body="# Urgence\n\nTexte.", acting_user=dvq
    )
    held = actions.do_create_meeting(
        kind="technical_committee",
        title="Comité technique passé",
        starts_at=now - timedelta(days=2),
        ends_at=now - timedelta(days=2) + timedelta(hours=2),
        place="Hôtel communautaire",
        invited_people=[commune.pk],
        acting_user=dvq,
    )
    (decision,) = actions.do_hold_meeting(
        held,
        minutes="Tour de table.",
        attended=[commune.pk],
        decisions=["Installer deux bornes"],
        acting_user=dvq,
    )
    data["steering"] = {
        "held": held.pk,
        "decision": decision.pk,
        "meeting": workshop.pk,
        "agenda_item": workshop.agenda_items.get().pk,
        "questionnaire": questionnaire.pk,
        "action": overdue.pk,
        "guide": page.slug,
    }
    return data["steering"]
