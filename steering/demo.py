"""Demonstration data of the steering module (fictional, idempotent, through the actions): a year of
meetings of each kind (held ones with minutes, decisions and actions in every status), one upcoming
workshop with its questionnaire answered by two communes, and guide pages linked from the
intervention procedure's steps, categories and urgency criteria."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from directory.models import Organisation, Perimeter, User
from procedures.models import Category, UrgencyCriterion
from steering import actions
from steering.models import Meeting

PARIS = ZoneInfo("Europe/Paris")
MARK = "(fictif)"

GUIDE = [
    (
        "qualifier-une-demande",
        "Qualifier une demande",
        "## Qualifier une demande\n\nVérifiez la catégorie, le lieu et le gestionnaire du foncier avant "
        "d'accepter la demande.\n\n- la catégorie correspond-elle au dysfonctionnement ?\n- le lieu est-il "
        "dans le périmètre du CTC ?\n\n*Page de démonstration (fictif).*",
        ["submitted", "acknowledged", "qualified"],
    ),
    (
        "justifier-une-urgence",
        "Justifier une urgence",
        "## Quand une demande est-elle urgente ?\n\nUne urgence se justifie par un **danger pour les "
        "personnes** ou une atteinte grave au service. Cochez le critère qui s'applique ; la DVQ contrôle "
        "les urgences a posteriori.\n\n*Page de démonstration (fictif).*",
        ["submitted"],
    ),
]


def _at(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), PARIS)


def _organiser():
    return User.objects.get(username="demo-dvq")


def load_steering_demo():
    """Idempotent: does nothing if the demo meetings exist. Returns what was created."""
    if Meeting.objects.filter(title__endswith=MARK).exists():
        return {"meetings": 0}
    organiser = _organiser()
    communes = list(
        Organisation.objects.filter(code__in=["mantes-la-jolie", "les-mureaux", "mantes-la-ville"])
    )
    landlord = Organisation.objects.get(code="residences-mantois")
    qpv = Perimeter.objects.filter(code="qpv-val-fourre").first()
    referent = User.objects.get(username="demo-commune")
    today = timezone.localdate()
    start = today - timedelta(days=300)
    kinds = [
        ("referents_meeting", "Réunion des référents GUP", [0, 120, 240, 330]),
        ("services_meeting", "Réunion des services communes et communauté", [30, 200]),
        ("technical_committee", "Comité technique", [150]),
        ("steering_committee", "Comité de pilotage", [170, 350]),
        ("partner_workshop", "Atelier partenarial", [80]),
    ]
    created, steering_committees = [], {}
    for kind, title, offsets in kinds:
        for offset in offsets:
            day = start + timedelta(days=offset)
            meeting = actions.do_create_meeting(
                kind=kind,
                title=f"{title} du {day:%d/%m/%Y} {MARK}",
                starts_at=_at(day, 14),
                ends_at=_at(day, 16),
                place="Hôtel communautaire, Aubergenville (fictif)",
                invited_organisations=[c.pk for c in communes] + [landlord.pk],
                agenda=["Tour de table des communes", "Dysfonctionnements récurrents"],
                acting_user=organiser,
            )
            created.append(meeting)
            if kind == "steering_committee":
                steering_committees[offset] = meeting
    # the first steering committee is prepared by the technical committee
    technical = next(m for m in created if m.kind.code == "technical_committee")
    actions.do_update_meeting(
        technical, changes={"prepares": steering_committees[170]}, acting_user=organiser
    )
    statuses = ["planned", "in_progress", "done", "abandoned"]
    held = [m for m in sorted(created, key=lambda m: m.starts_at) if m.starts_at < timezone.now()]
    count = 0
    for index, meeting in enumerate(held):
        decisions = actions.do_hold_meeting(
            meeting,
            minutes="Compte rendu de démonstration : tour de table, points de blocage, suites à donner.",
            attended=[referent.pk],
            decisions=[
                "Relancer le bailleur sur les dépôts d'encombrants",
                "Renforcer la propreté aux abords des écoles",
            ],
            acting_user=organiser,
        )
        for position, decision in enumerate(decisions):
            status = statuses[(index + position) % 4]
            action = actions.do_create_action(
                title=f"{decision.text} ({meeting.starts_at:%m/%Y})",
                decision=decision,
                owner_organisation=landlord if position == 0 else referent.organisation,
                owner_person=User.objects.filter(username="demo-landlord").first()
                if position == 0
                else referent,
                due_date=meeting.starts_at.date() + timedelta(days=45 + 15 * position),
                qpv=qpv,
                acting_user=organiser,
            )
            if status != "planned":
                actions.do_change_action_status(
                    action,
                    status=status,
                    reason="Remplacée par une autre action (fictif)" if status == "abandoned" else "",
                    acting_user=organiser,
                )
            count += 1
    # an upcoming workshop with its questionnaire, answered by two communes
    day = today + timedelta(days=21)
    workshop = actions.do_create_meeting(
        kind="partner_workshop",
        title=f"Atelier partenarial : encombrants et dépôts sauvages {MARK}",
        starts_at=_at(day, 9, 30),
        ends_at=_at(day, 12),
        place="Mairie de Mantes-la-Jolie, salle du conseil (fictif)",
        invited_organisations=[c.pk for c in communes] + [landlord.pk],
        acting_user=organiser,
    )
    actions.do_propose_topic(
        workshop, title="Dépôts au pied des immeubles", acting_user=User.objects.get(username="demo-landlord")
    )
    questionnaire = actions.do_create_questionnaire(
        workshop,
        title="État des lieux des encombrants",
        deadline=_at(today + timedelta(days=14), 18),
        reminder_at=_at(today + timedelta(days=10), 9),
        communes=[c.pk for c in communes],
        questions=[
            {"text": "Nombre de dépôts signalés par mois", "type": "number", "required": True},
            {
                "text": "Fréquence de collecte",
                "type": "choice",
                "choices": ["Hebdomadaire", "Mensuelle", "Sur appel"],
            },
            {
                "text": "Difficultés rencontrées",
                "type": "multiple_choice",
                "choices": ["Accès", "Horaires", "Tri"],
            },
            {"text": "Commentaire", "type": "text"},
        ],
        acting_user=organiser,
    )
    actions.do_send_questionnaire(questionnaire, acting_user=organiser)
    number, choice, multi, _comment = questionnaire.questions.all()
    for username, answers in (
        ("demo-commune", {number.pk: "14", choice.pk: "Mensuelle", multi.pk: ["Accès", "Tri"]}),
        ("demo-commune-2", {number.pk: "6", choice.pk: "Sur appel"}),
    ):
        user = User.objects.get(username=username)
        actions.do_save_answers(
            questionnaire, commune=user.organisation, answers=answers, submit=True, acting_user=user
        )
    # the guide, linked from the intervention procedure
    categories = list(Category.objects.all()[:3])
    criteria = list(UrgencyCriterion.objects.all()[:3])
    for slug, title, body, steps in GUIDE:
        actions.do_save_guide_page(
            slug=slug,
            title=title,
            body=body,
            steps=steps,
            categories=categories if slug == "qualifier-une-demande" else [],
            urgency_criteria=criteria if slug == "justifier-une-urgence" else [],
            acting_user=organiser,
        )
    actions.do_create_recommendation(
        project="NPNRU Val Fourré (fictif)",
        qpv=qpv,
        issue="Les locaux à encombrants sont trop éloignés des halls.",
        recommendation="Prévoir un local par bâtiment, accessible aux camions de collecte.",
        source="Atelier partenarial (fictif)",
        acting_user=organiser,
    )
    return {"meetings": len(created) + 1, "actions": count, "answers": 2, "guide_pages": len(GUIDE)}
