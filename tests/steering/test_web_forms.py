"""The organiser's steering forms through Django's test client: each calls its action (rows, audit
entries, outbox events) and a refusal saves nothing and shows the action's message on the field."""

import html

import pytest

from steering.models import Action, AgendaItem, Decision, Invitation, Meeting, MeetingStatus
from tests.steering.builders import workshop_with_questionnaire
from tests.steering.conftest import audit_events, steering_events

pytestmark = pytest.mark.django_db


def text(response):
    return html.unescape(response.content.decode())


def meeting_fields(world, **changes):
    fields = {
        "kind": "",
        "title": "Comité technique GUP",
        "starts_at": "2026-10-20T14:00",
        "ends_at": "2026-10-20T16:00",
        "place": "Hôtel communautaire, Aubergenville",
        "video_url": "",
        "invited_organisations": [world.commune.pk],
        "invited_people": [world.ctc_agent.pk],
        "agenda": "Bilan des signalements\n\nPropreté des pieds d'immeubles",
    }
    from steering.models import MeetingKind

    fields["kind"] = MeetingKind.objects.get(code="technical_committee").pk
    fields.update(changes)
    return fields


def test_the_organiser_creates_a_meeting_with_its_invitees_and_agenda_from_the_form(people, now, client):
    client.force_login(people.dvq_officer)
    page = client.get("/steering/meetings/new/")
    assert page.status_code == 200 and "Nouvelle réunion" in text(page)
    response = client.post("/steering/meetings/new/", meeting_fields(people))
    meeting = Meeting.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/steering/meetings/{meeting.pk}/"
    assert meeting.starts_at.hour == 12 and meeting.starts_at.utcoffset().total_seconds() == 0  # 14:00 Paris
    assert meeting.organiser == people.dvq_officer
    invited = set(Invitation.objects.filter(meeting=meeting).values_list("person_id", flat=True))
    assert people.ctc_agent.pk in invited and people.commune_user.pk in invited
    assert list(meeting.agenda_items.values_list("title", flat=True)) == [
        "Bilan des signalements",
        "Propreté des pieds d'immeubles",
    ]
    assert audit_events() == ["meeting_created"]
    assert steering_events() == []  # nothing is sent before the organiser sends the invitations
    detail = text(client.get(response["Location"]))
    assert "Envoyer les invitations" in detail and "Annuler la réunion" in detail


def test_the_meeting_form_shows_the_actions_refusal_on_its_field_and_saves_nothing(people, now, client):
    client.force_login(people.dvq_officer)
    response = client.post(
        "/steering/meetings/new/",
        meeting_fields(people, ends_at="2026-10-20T13:00", place="", video_url=""),
    )
    body = text(response)
    assert response.status_code == 400
    assert "La fin doit être après le début." in body
    assert "Indiquez un lieu ou un lien de visioconférence." in body
    assert 'id="id_ends_at-errors"' in body and 'role="alert"' in body
    assert not Meeting.objects.exists() and not Invitation.objects.exists()
    assert audit_events() == [] and steering_events() == []


def test_only_an_organiser_sees_and_uses_the_meeting_forms(people, now, client):
    workshop, _questionnaire = workshop_with_questionnaire(people, sent=False)
    client.force_login(people.commune_user)
    assert "Nouvelle réunion" not in text(client.get("/steering/"))
    detail = text(client.get(f"/steering/meetings/{workshop.pk}/"))
    assert "Envoyer les invitations" not in detail and "Modifier" not in detail
    assert client.get("/steering/meetings/new/").status_code == 403
    assert client.post("/steering/meetings/new/", meeting_fields(people)).status_code == 403
    assert client.post(f"/steering/meetings/{workshop.pk}/cancel/").status_code == 403
    client.post(f"/steering/meetings/{workshop.pk}/send/")
    assert Meeting.objects.get(pk=workshop.pk).invitations_sent_at is None
    assert Meeting.objects.count() == 1 and audit_events() == ["meeting_created", "questionnaire_created"]
    assert steering_events() == []
    client.force_login(people.landlord_agent)
    assert client.get(f"/steering/meetings/{workshop.pk}/edit/").status_code == 404


def test_the_organiser_changes_a_sent_meeting_invites_more_people_and_everybody_gets_the_update(
    people, now, client
):
    workshop, _questionnaire = workshop_with_questionnaire(people, sent=False)
    client.force_login(people.dvq_officer)
    sent = client.post(f"/steering/meetings/{workshop.pk}/send/", follow=True)
    assert "Les invitations sont en cours d'envoi" in text(sent)
    assert steering_events() == ["steering.meeting_invited"]
    form = text(client.get(f"/steering/meetings/{workshop.pk}/edit/"))
    assert 'value="2026-11-05T09:30"' in form and "Atelier encombrants" in form
    fields = meeting_fields(
        people,
        kind=workshop.kind_id,
        title="Atelier encombrants (nouvel horaire)",
        starts_at="2026-11-05T10:00",
        ends_at="2026-11-05T12:30",
        invited_organisations=[],
        invited_people=[people.ctc_agent.pk],
        agenda="Point sur les bacs",
    )
    response = client.post(f"/steering/meetings/{workshop.pk}/edit/", fields)
    assert response.status_code == 302
    workshop.refresh_from_db()
    assert workshop.title == "Atelier encombrants (nouvel horaire)" and workshop.sequence == 1
    assert Invitation.objects.filter(meeting=workshop, person=people.ctc_agent).exists()
    assert AgendaItem.objects.filter(meeting=workshop, title="Point sur les bacs").exists()
    assert steering_events() == [
        "steering.meeting_invited",
        "steering.meeting_updated",
        "steering.meeting_invited",
    ]
    assert audit_events()[-4:] == [
        "invitations_sent",
        "meeting_changed",
        "people_invited",
        "agenda_item_added",
    ]


def test_a_refused_change_leaves_the_meeting_its_invitees_and_its_agenda_as_they_were(people, now, client):
    workshop, _questionnaire = workshop_with_questionnaire(people, sent=False)
    client.force_login(people.dvq_officer)
    before = audit_events()
    invited = Invitation.objects.filter(meeting=workshop).count()
    fields = meeting_fields(
        people,
        kind=workshop.kind_id,
        title="Nouveau titre",
        starts_at="2026-09-01T10:00",  # the past: refused once invitations are out... here: end before
        ends_at="2026-08-01T10:00",
        invited_people=[people.ctc_agent.pk],
        agenda="Point sur les bacs",
    )
    response = client.post(f"/steering/meetings/{workshop.pk}/edit/", fields)
    assert response.status_code == 400 and "La fin doit être après le début." in text(response)
    workshop.refresh_from_db()
    assert workshop.title == "Atelier encombrants"
    assert Invitation.objects.filter(meeting=workshop).count() == invited
    assert not AgendaItem.objects.filter(title="Point sur les bacs").exists()
    assert audit_events() == before and steering_events() == []


def test_sending_is_refused_with_the_actions_message_when_nobody_is_invited(people, now, client):
    client.force_login(people.dvq_officer)
    client.post(
        "/steering/meetings/new/", meeting_fields(people, invited_organisations=[], invited_people=[])
    )
    meeting = Meeting.objects.get()
    response = client.post(f"/steering/meetings/{meeting.pk}/send/", follow=True)
    assert "Invitez au moins une personne ou un organisme." in text(response)
    meeting.refresh_from_db()
    assert meeting.invitations_sent_at is None and steering_events() == []
    assert audit_events() == ["meeting_created"]


def test_the_organiser_cancels_a_sent_meeting_and_a_cancelled_one_cannot_be_cancelled_again(
    people, now, client
):
    workshop, _questionnaire = workshop_with_questionnaire(people, sent=False)
    client.force_login(people.dvq_officer)
    client.post(f"/steering/meetings/{workshop.pk}/send/")
    page = client.get(f"/steering/meetings/{workshop.pk}/cancel/")
    assert page.status_code == 200 and "Annuler la réunion « Atelier encombrants »" in text(page)
    response = client.post(f"/steering/meetings/{workshop.pk}/cancel/", {"reason": "Salle indisponible"})
    assert response.status_code == 302
    workshop.refresh_from_db()
    assert workshop.status == MeetingStatus.CANCELLED
    assert steering_events() == ["steering.meeting_invited", "steering.meeting_cancelled"]
    assert audit_events()[-1] == "meeting_cancelled"
    again = client.post(f"/steering/meetings/{workshop.pk}/cancel/", {"reason": "Encore"})
    assert again.status_code == 400 and "Seule une réunion prévue peut être annulée." in text(again)
    assert audit_events().count("meeting_cancelled") == 1
    assert steering_events() == ["steering.meeting_invited", "steering.meeting_cancelled"]


def test_the_organiser_records_attendance_minutes_and_decisions_then_an_action_from_a_decision(
    people, now, client, time_machine
):
    workshop, _questionnaire = workshop_with_questionnaire(people, sent=False)
    client.force_login(people.dvq_officer)
    early = client.post(f"/steering/meetings/{workshop.pk}/minutes/", {"minutes": "Trop tôt"})
    assert early.status_code == 400
    assert "La réunion n'a pas encore commencé : son compte rendu ne peut pas être enregistré." in text(early)
    assert Meeting.objects.get(pk=workshop.pk).status == MeetingStatus.PLANNED
    time_machine.move_to(workshop.ends_at, tick=False)
    client.force_login(people.dvq_officer)  # a new session: the first one expired meanwhile
    response = client.post(
        f"/steering/meetings/{workshop.pk}/minutes/",
        {
            "minutes": "Tour de table des communes.",
            "attended": [people.commune_user.pk],
            "decisions": "Installer deux bornes\nRelancer le bailleur",
        },
    )
    assert response.status_code == 302 and response["Location"] == f"/steering/meetings/{workshop.pk}/"
    workshop.refresh_from_db()
    assert workshop.status == MeetingStatus.HELD and workshop.minutes == "Tour de table des communes."
    assert list(
        Invitation.objects.filter(meeting=workshop, attended=True).values_list("person", flat=True)
    ) == [people.commune_user.pk]
    first, _second = Decision.objects.filter(meeting=workshop).order_by("position")
    assert audit_events()[-1] == "meeting_held"
    detail = text(client.get(f"/steering/meetings/{workshop.pk}/"))
    assert f"/steering/meetings/{workshop.pk}/decisions/{first.pk}/action/" in detail
    url = f"/steering/meetings/{workshop.pk}/decisions/{first.pk}/action/"
    assert 'value="Installer deux bornes"' in text(client.get(url))
    refused = client.post(url, {"title": " ", "owner_organisation": people.commune.pk})
    assert refused.status_code == 400 and not Action.objects.exists()
    created = client.post(
        url,
        {
            "title": "Installer deux bornes",
            "owner_organisation": people.commune.pk,
            "owner_person": people.commune_user.pk,
            "due_date": "2026-12-15",
        },
    )
    action = Action.objects.get()
    assert created.status_code == 302 and created["Location"] == f"/steering/actions/{action.pk}/"
    assert (
        action.decision == first and action.meeting == workshop and action.owner_person == people.commune_user
    )
    assert audit_events()[-1] == "action_created"


def test_a_partner_proposes_a_workshop_topic_and_the_organiser_chooses_it(people, now, client):
    from steering.models import WorkshopTopic

    workshop, _questionnaire = workshop_with_questionnaire(people, sent=False)
    client.force_login(people.commune_user)
    detail = text(client.get(f"/steering/meetings/{workshop.pk}/"))
    assert "Proposer un sujet" in detail and "Choisir" not in detail
    refused = client.post(f"/steering/meetings/{workshop.pk}/topics/new/", {"title": " "})
    assert refused.status_code == 400 and not WorkshopTopic.objects.exists()
    response = client.post(
        f"/steering/meetings/{workshop.pk}/topics/new/",
        {"title": "Dépôts sauvages rue des Écoles", "description": "Signalés chaque semaine"},
    )
    assert response.status_code == 302
    topic = WorkshopTopic.objects.get()
    assert topic.proposed_by == people.commune_user and not topic.chosen
    client.post(f"/steering/meetings/{workshop.pk}/topics/{topic.pk}/choose/", {"chosen": "1"})
    topic.refresh_from_db()
    assert not topic.chosen  # only the organiser chooses
    client.force_login(people.dvq_officer)
    assert "Choisir" in text(client.get(f"/steering/meetings/{workshop.pk}/"))
    client.post(f"/steering/meetings/{workshop.pk}/topics/{topic.pk}/choose/", {"chosen": "1"})
    topic.refresh_from_db()
    assert topic.chosen
    assert audit_events()[-2:] == ["topic_proposed", "topic_chosen"]
    client.force_login(people.landlord_agent)
    assert client.get(f"/steering/meetings/{workshop.pk}/topics/new/").status_code == 404


def test_the_dvq_writes_a_guide_page_then_a_new_version_with_its_change_note(people, now, client):
    from steering.models import GuidePage, GuidePageVersion

    client.force_login(people.dvq_officer)
    assert "Nouvelle page du guide" in text(client.get("/guide/"))
    refused = client.post("/guide/new/", {"title": "Urgences", "slug": "Pas Bon", "body": "Texte"})
    assert refused.status_code == 400 and "Utilisez" in text(refused) and not GuidePage.objects.exists()
    created = client.post("/guide/new/", {"title": "Urgences", "slug": "urgences", "body": "# Urgences"})
    assert created.status_code == 302 and created["Location"] == "/guide/urgences/"
    edit = text(client.get("/guide/urgences/edit/"))
    assert "# Urgences" in edit and "Ce qui a changé" in edit
    changed = client.post(
        "/guide/urgences/edit/",
        {
            "title": "Urgences",
            "slug": "urgences",
            "body": "# Urgences\n\nAppeler le 17.",
            "change_note": "Numéro",
        },
    )
    assert changed.status_code == 302
    page = GuidePage.objects.get()
    assert page.version == 2 and page.body.endswith("Appeler le 17.")
    assert list(GuidePageVersion.objects.order_by("number").values_list("change_note", flat=True)) == [
        "",
        "Numéro",
    ]
    assert audit_events() == ["guide_page_created", "guide_page_changed"]
    assert "Numéro" in text(client.get("/guide/urgences/"))
    client.force_login(people.commune_user)
    assert "Modifier cette page" not in text(client.get("/guide/urgences/"))
    assert (
        client.post("/guide/urgences/edit/", {"title": "X", "slug": "urgences", "body": "X"}).status_code
        == 403
    )
    assert GuidePage.objects.get().version == 2 and len(audit_events()) == 2
