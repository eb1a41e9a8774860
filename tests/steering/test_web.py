"""The steering pages through Django's test client: scoped (404), forms calling the actions, errors
shown in French with nothing saved, the secret calendar feed, the compiled answers and their XLSX."""

import html
import io

import pytest
from django.core import mail
from icalendar import Calendar
from openpyxl import load_workbook

from steering.models import Answer, Invitation, QuestionnaireResponse
from tests.steering.builders import follow_up_actions, workshop_with_questionnaire
from tests.steering.conftest import audit_events, paris

pytestmark = pytest.mark.django_db


def text(response):
    return html.unescape(response.content.decode())


def logged_in(client, user):
    client.force_login(user)
    return client


def test_a_commune_sees_its_meetings_in_the_list_the_month_and_the_detail_and_answers(people, now, client):
    workshop, _questionnaire = workshop_with_questionnaire(people)
    logged_in(client, people.commune_user)
    assert workshop.title in text(client.get("/steering/"))
    month = text(client.get("/steering/calendar/?month=2026-11"))
    assert workshop.title in month and "novembre 2026" in month
    detail = client.get(f"/steering/meetings/{workshop.pk}/")
    assert detail.status_code == 200 and "Votre réponse" in text(detail)
    refused = client.post(f"/steering/meetings/{workshop.pk}/answer/", {"answer": "represented"})
    assert refused.status_code == 400 and "Indiquez qui vous représentera." in text(refused)
    assert Invitation.objects.get(meeting=workshop, person=people.commune_user).answer == Answer.PENDING
    ok = client.post(f"/steering/meetings/{workshop.pk}/answer/", {"answer": "attending"})
    assert ok.status_code == 302
    assert Invitation.objects.get(meeting=workshop, person=people.commune_user).answer == Answer.ATTENDING
    ics = client.get(f"/steering/meetings/{workshop.pk}/meeting.ics")
    (event,) = Calendar.from_ical(ics.content).walk("VEVENT")
    assert event["DTSTART"].dt.hour == 9
    logged_in(client, people.landlord_agent)
    assert client.get(f"/steering/meetings/{workshop.pk}/").status_code == 404
    assert client.get(f"/steering/meetings/{workshop.pk}/meeting.ics").status_code == 404


def test_the_secret_calendar_feed_lists_the_users_meetings_and_a_new_address_revokes_the_old(
    people, now, client
):
    workshop, _questionnaire = workshop_with_questionnaire(people)
    logged_in(client, people.commune_user)
    response = client.post("/steering/feed/new/", follow=True)
    body = text(response)
    url = body[body.index("http://testserver/steering/feed/") :].split()[0].split("<")[0]
    client.logout()
    feed = client.get(url.replace("http://testserver", ""))
    assert feed.status_code == 200
    (event,) = Calendar.from_ical(feed.content).walk("VEVENT")
    assert str(event["SUMMARY"]) == workshop.title
    logged_in(client, people.commune_user)
    client.post("/steering/feed/new/")
    client.logout()
    assert client.get(url.replace("http://testserver", "")).status_code == 404
    assert client.get("/steering/feed/not-a-key.ics").status_code == 404
    assert audit_events().count("calendar_feed_reset") == 2


def test_the_follow_up_list_filters_and_shows_only_the_scope(
    people, now, client, django_assert_max_num_queries
):
    _made, other = follow_up_actions(people)
    logged_in(client, people.commune_user)
    with django_assert_max_num_queries(12):
        page = text(client.get("/steering/actions/"))
    assert "Action planned" in page and "Action in_progress" in page and "Action done" not in page
    assert "autre commune" not in page
    every = text(client.get("/steering/actions/?status=all"))
    assert all(f"Action {s}" in every for s in ("planned", "in_progress", "done", "abandoned"))
    overdue = text(client.get("/steering/actions/?overdue=on"))
    assert "Action planned" in overdue and "En retard" in overdue
    assert client.get(f"/steering/actions/{other.pk}/").status_code == 404
    # more actions do not cost more queries
    follow_up_actions(people)
    with django_assert_max_num_queries(12):
        client.get("/steering/actions/?status=all")


def test_the_owner_changes_the_status_and_abandoning_without_a_reason_is_refused(people, now, client):
    (planned, *_rest), _other = follow_up_actions(people)
    logged_in(client, people.commune_user)
    refused = client.post(f"/steering/actions/{planned.pk}/status/", {"status": "abandoned", "reason": " "})
    assert refused.status_code == 400 and "Indiquez pourquoi l'action est abandonnée." in text(refused)
    planned.refresh_from_db()
    assert planned.status == "planned"
    assert client.post(f"/steering/actions/{planned.pk}/status/", {"status": "done"}).status_code == 302
    planned.refresh_from_db()
    assert planned.status == "done"
    logged_in(client, people.landlord_agent)
    assert client.post(f"/steering/actions/{planned.pk}/status/", {"status": "planned"}).status_code == 404


def test_a_commune_fills_the_questionnaire_as_a_draft_then_submits_it(people, now, client, time_machine):
    _workshop, questionnaire = workshop_with_questionnaire(people)
    number, choice, multi, comment = questionnaire.questions.all()
    url = f"/steering/questionnaires/{questionnaire.pk}/answer/"
    logged_in(client, people.commune_user)
    form = text(client.get(url))
    assert 'inputmode="decimal"' in form and "Fréquence de collecte" in form
    draft = client.post(url, {f"question_{comment.pk}": "Des dépôts réguliers", "save": "1"})
    assert draft.status_code == 302
    assert QuestionnaireResponse.objects.get().status == "draft"
    refused = client.post(url, {f"question_{number.pk}": "beaucoup", "submit": "1"})
    assert refused.status_code == 400 and "indiquez un nombre" in text(refused)
    assert QuestionnaireResponse.objects.get().answers == {str(comment.pk): "Des dépôts réguliers"}
    client.post(
        url,
        {
            f"question_{number.pk}": "12,5",
            f"question_{choice.pk}": "Mensuelle",
            f"question_{multi.pk}": ["Tri", "Accès"],
            "submit": "1",
        },
    )
    response = QuestionnaireResponse.objects.get()
    assert response.status == "submitted" and response.answers[str(number.pk)] == "12.5"
    # another commune's user, or anyone after the deadline, cannot change it
    logged_in(client, people.landlord_agent)
    assert client.get(url).status_code == 404
    time_machine.move_to(paris(2026, 10, 26, 8, 0), tick=False)
    logged_in(client, people.commune_user)
    late = client.post(url, {f"question_{number.pk}": "3", "submit": "1"})
    assert late.status_code == 400
    assert QuestionnaireResponse.objects.get().answers[str(number.pk)] == "12.5"
    assert not [m for m in mail.outbox if "Relance" in m.subject]


def test_the_organiser_sees_the_compiled_answers_and_exports_them(people, now, client):
    _workshop, questionnaire = workshop_with_questionnaire(people)
    from steering import actions

    number, choice, *_others = questionnaire.questions.all()
    actions.do_save_answers(
        questionnaire,
        commune=people.commune,
        answers={number.pk: "12", choice.pk: "Mensuelle"},
        submit=True,
        acting_user=people.commune_user,
    )
    logged_in(client, people.dvq_officer)
    page = text(client.get(f"/steering/questionnaires/{questionnaire.pk}/results/"))
    assert "1 sur 2 communes" in page and "Mensuelle" in page and "Commune Deux" in page
    export = client.get(f"/steering/questionnaires/{questionnaire.pk}/results.xlsx")
    sheet = load_workbook(io.BytesIO(export.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Commune", "Statut", "Nombre de dépôts signalés par mois")
    assert rows[1][:2] == ("Commune Deux", "Pas encore de réponse")
    assert rows[2][:4] == ("Commune Une", "Transmise", "12", "Mensuelle")
    logged_in(client, people.commune_user)
    assert client.get(f"/steering/questionnaires/{questionnaire.pk}/results/").status_code == 404
