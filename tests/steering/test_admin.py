"""The admin saves through the steering actions: audit entries written, refusals shown as form errors
with nothing saved."""

import pytest

from steering.models import GuidePage, GuidePageVersion, Meeting, MeetingKind, Questionnaire
from tests.steering.conftest import audit_events

pytestmark = pytest.mark.django_db


def meeting_form(world, **extra):
    data = {
        "kind": MeetingKind.objects.get(code="steering_committee").pk,
        "title": "Comité de pilotage annuel",
        "starts_at_0": "15/12/2026",
        "starts_at_1": "10:00",
        "ends_at_0": "15/12/2026",
        "ends_at_1": "12:00",
        "time_zone": "Europe/Paris",
        "place": "Hôtel communautaire",
        "video_url": "",
        "invited_organisations": [world.commune.pk],
        "invitations-TOTAL_FORMS": "0",
        "invitations-INITIAL_FORMS": "0",
    }
    data.update(extra)
    return data


def test_the_admin_creates_a_meeting_through_the_action(people, now, client):
    client.force_login(people.admin_user)
    refused = client.post("/admin/steering/meeting/add/", meeting_form(people, ends_at_1="09:00"))
    assert refused.status_code == 200 and "La fin doit être après le début." in refused.content.decode()
    assert Meeting.objects.count() == 0 and audit_events() == []
    response = client.post("/admin/steering/meeting/add/", meeting_form(people))
    assert response.status_code == 302, response.content.decode()[:2000]
    meeting = Meeting.objects.get()
    assert meeting.organiser == people.admin_user and meeting.starts_at.hour == 9  # 10:00 in Paris, in UTC
    assert list(meeting.invitations.values_list("person__username", flat=True)) == ["commune"]
    assert audit_events() == ["meeting_created"]


def test_the_admin_writes_guide_pages_as_versions_and_questionnaires_from_lines(people, now, client):
    client.force_login(people.admin_user)
    page = {
        "slug": "urgence",
        "title": "Qualifier une urgence",
        "body": "# Urgence\n\n<script>x</script>",
        "steps": "[]",
    }
    page.update({"versions-TOTAL_FORMS": "0", "versions-INITIAL_FORMS": "0"})
    assert client.post("/admin/steering/guidepage/add/", page).status_code == 302
    created = GuidePage.objects.get()
    page["body"] = "# Urgence\n\nNouvelle version."
    assert client.post(f"/admin/steering/guidepage/{created.pk}/change/", page).status_code == 302
    assert list(GuidePageVersion.objects.values_list("number", flat=True)) == [2, 1]
    workshop = Meeting.objects.create(
        kind=MeetingKind.objects.get(code="partner_workshop"),
        title="Atelier",
        starts_at=now.replace(month=11),
        ends_at=now.replace(month=11, hour=12),
        place="Mairie",
        organiser=people.dvq_officer,
    )
    questionnaire = {
        "meeting": workshop.pk,
        "title": "État des lieux",
        "deadline_0": "20/10/2026",
        "deadline_1": "18:00",
        "communes": [people.commune.pk],
        "questions_text": "number | Nombre de dépôts *\nchoice | Fréquence | Hebdomadaire;Mensuelle",
    }
    assert client.post("/admin/steering/questionnaire/add/", questionnaire).status_code == 302
    created = Questionnaire.objects.get()
    assert list(created.questions.values_list("type", "required")) == [("number", True), ("choice", False)]
    assert audit_events() == ["guide_page_created", "guide_page_changed", "questionnaire_created"]
