"""The steering API: scoped lists and details (out of scope: 404), writes through the actions, bad
input answered 400 in French naming the field with nothing written, constant query counts."""

import pytest
from icalendar import Calendar
from rest_framework.test import APIClient

from api.models import ApiToken
from steering import actions
from steering.models import Action, Meeting, QuestionnaireResponse
from tests.steering.conftest import audit_events, paris, steering_events

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_user(people):
    def make(user):
        client = APIClient()
        _token, key = ApiToken.objects.create_for(user, "test")
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return make


def meeting(world, title="Réunion des référents", orgs=None, day=20):
    return actions.do_create_meeting(
        kind="referents_meeting",
        title=title,
        starts_at=paris(2026, 10, day, 14, 0),
        ends_at=paris(2026, 10, day, 16, 0),
        place="Hôtel communautaire",
        invited_organisations=[o.pk for o in (orgs if orgs is not None else [world.commune])],
        acting_user=world.dvq_officer,
    )


def test_an_organiser_creates_a_meeting_and_sends_its_invitations_through_the_api(people, now, as_user):
    client = as_user(people.dvq_officer)
    response = client.post(
        "/api/v1/steering/meetings/",
        {
            "kind": "technical_committee",
            "title": "Comité technique",
            "starts_at": "2026-11-03T10:00:00+01:00",
            "ends_at": "2026-11-03T12:00:00+01:00",
            "video_url": "https://visio.example.org/ct",
            "invited_organisations": [people.commune.pk, people.commune_2.pk],
            "agenda": ["Préparation du comité de pilotage"],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert {i["organisation"] for i in body["invitations"]} == {"commune-1", "commune-2"}
    assert body["agenda_items"][0]["title"] == "Préparation du comité de pilotage"
    sent = client.post(f"/api/v1/steering/meetings/{body['id']}/send-invitations/")
    assert sent.status_code == 200 and sent.json()["invitations_sent_at"]
    assert steering_events() == ["steering.meeting_invited"]
    ics = client.get(f"/api/v1/steering/meetings/{body['id']}/ics/")
    assert ics.status_code == 200 and ics["Content-Type"].startswith("text/calendar")
    (event,) = Calendar.from_ical(ics.content).walk("VEVENT")
    assert event["DTSTART"].dt.hour == 10 and event["DTSTART"].params["TZID"] == "Europe/Paris"


def test_it_answers_400_in_french_naming_the_field_and_writes_nothing(people, now, as_user):
    client = as_user(people.dvq_officer)
    response = client.post(
        "/api/v1/steering/meetings/",
        {
            "kind": "referents_meeting",
            "title": "Réunion",
            "starts_at": "2026-11-03T10:00:00+01:00",
            "ends_at": "2026-11-03T09:00:00+01:00",
            "place": "Mairie",
            "invited_people": [424242],
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"]["ends_at"] == ["La fin doit être après le début."]
    assert Meeting.objects.count() == 0 and audit_events() == [] and steering_events() == []
    past = meeting(people, day=2)
    response = client.patch(
        f"/api/v1/steering/meetings/{past.pk}/",
        {"starts_at": "2026-09-03T10:00:00+02:00", "ends_at": "2026-09-03T12:00:00+02:00"},
        format="json",
    )
    assert response.status_code == 200
    response = client.post(f"/api/v1/steering/meetings/{past.pk}/send-invitations/")
    assert response.status_code == 400 and "passée" in response.json()["errors"]["starts_at"][0]
    assert steering_events() == []


def test_a_commune_sees_only_the_meetings_it_is_invited_to(
    people, now, as_user, django_assert_max_num_queries
):
    mine = [meeting(people, f"Réunion {i}", day=10 + i) for i in range(3)]
    other = meeting(people, "Réunion de l'autre commune", orgs=[people.commune_2])
    client = as_user(people.commune_user)
    with django_assert_max_num_queries(9):
        response = client.get("/api/v1/steering/meetings/")
    assert response.status_code == 200
    assert [m["id"] for m in response.json()["results"]] == [m.pk for m in mine]
    assert client.get(f"/api/v1/steering/meetings/{other.pk}/").status_code == 404
    assert client.get("/api/v1/steering/meetings/999999/").status_code == 404
    assert (
        client.post(f"/api/v1/steering/meetings/{other.pk}/answer/", {"answer": "attending"}).status_code
        == 404
    )
    # the list's query count does not grow with the number of meetings
    for i in range(5):
        meeting(people, f"Encore {i}", day=20 + i)
    with django_assert_max_num_queries(9):
        assert len(client.get("/api/v1/steering/meetings/").json()["results"]) == 8


def test_an_invited_referent_answers_and_may_not_organise(people, now, as_user):
    target = meeting(people)
    client = as_user(people.commune_user)
    response = client.post(
        f"/api/v1/steering/meetings/{target.pk}/answer/",
        {"answer": "represented", "represented_by": "M. Durand"},
        format="json",
    )
    assert response.status_code == 200 and response.json()["answer"] == "represented"
    refused = client.post(
        f"/api/v1/steering/meetings/{target.pk}/answer/", {"answer": "represented"}, format="json"
    )
    assert refused.status_code == 400 and "represented_by" in refused.json()["errors"]
    assert client.post(f"/api/v1/steering/meetings/{target.pk}/cancel/").status_code == 403
    assert audit_events() == ["meeting_created", "invitation_answered"]


def _action(world, owner, **extra):
    return actions.do_create_action(
        title=f"Action de {owner.code}", owner_organisation=owner, acting_user=world.dvq_officer, **extra
    )


def test_the_follow_up_list_filters_and_is_scoped(people, now, as_user, django_assert_max_num_queries):
    w = people
    mine = _action(w, w.commune, due_date=paris(2026, 9, 1, 0, 0).date())
    in_my_qpv = _action(w, w.landlord, qpv=w.qpv, due_date=paris(2026, 12, 1, 0, 0).date())
    elsewhere = _action(w, w.commune_2)
    done = _action(w, w.commune, due_date=paris(2026, 9, 1, 0, 0).date())
    actions.do_change_action_status(done, status="done", acting_user=w.dvq_officer)
    client = as_user(w.commune_user)
    with django_assert_max_num_queries(9):
        listed = client.get("/api/v1/steering/actions/").json()["results"]
    assert sorted(a["id"] for a in listed) == sorted([mine.pk, in_my_qpv.pk, done.pk])
    assert client.get(f"/api/v1/steering/actions/{elsewhere.pk}/").status_code == 404
    overdue = client.get("/api/v1/steering/actions/?overdue=true").json()["results"]
    assert [a["id"] for a in overdue] == [mine.pk] and overdue[0]["is_overdue"] is True
    own = client.get("/api/v1/steering/actions/?mine=true").json()["results"]
    assert sorted(a["id"] for a in own) == sorted([mine.pk, done.pk])
    assert [a["id"] for a in client.get("/api/v1/steering/actions/?qpv=qpv-1").json()["results"]] == [
        in_my_qpv.pk
    ]
    organiser = as_user(w.dvq_officer)
    assert (
        len(organiser.get("/api/v1/steering/actions/?status=planned&status=in_progress").json()["results"])
        == 3
    )
    # the owner moves its action on; abandoning needs a reason
    assert (
        client.post(f"/api/v1/steering/actions/{mine.pk}/status/", {"status": "in_progress"}).status_code
        == 200
    )
    refused = client.post(f"/api/v1/steering/actions/{mine.pk}/status/", {"status": "abandoned"})
    assert refused.status_code == 400 and "reason" in refused.json()["errors"]
    assert (
        client.post(f"/api/v1/steering/actions/{in_my_qpv.pk}/status/", {"status": "done"}).status_code == 403
    )
    assert Action.objects.get(pk=mine.pk).status == "in_progress"


def test_an_action_without_an_owner_is_refused_through_the_api(people, now, as_user):
    response = as_user(people.dvq_officer).post(
        "/api/v1/steering/actions/", {"title": "Sans pilote"}, format="json"
    )
    assert response.status_code == 400 and "owner_organisation" in response.json()["errors"]
    created = as_user(people.dvq_officer).post(
        "/api/v1/steering/actions/",
        {
            "title": "Relancer le bailleur",
            "owner_organisation": "landlord",
            "source": "diagnostics.finding:1",
        },
        format="json",
    )
    assert created.status_code == 201 and created.json()["source"] == "diagnostics.finding:1"
    assert audit_events() == ["action_created"]


def test_a_commune_answers_its_questionnaire_and_sees_only_its_own_answers(people, now, as_user):
    w = people
    workshop = actions.do_create_meeting(
        kind="partner_workshop",
        title="Atelier",
        starts_at=paris(2026, 11, 5, 9, 30),
        ends_at=paris(2026, 11, 5, 12, 0),
        place="Mairie",
        acting_user=w.dvq_officer,
    )
    questionnaire = actions.do_create_questionnaire(
        workshop,
        title="État des lieux",
        deadline=paris(2026, 10, 25, 23, 59),
        communes=[w.commune.pk, w.commune_2.pk],
        questions=[{"text": "Nombre de dépôts", "type": "number", "required": True}],
        acting_user=w.dvq_officer,
    )
    (question,) = questionnaire.questions.all()
    client = as_user(w.commune_user)
    assert (
        client.get(f"/api/v1/steering/questionnaires/{questionnaire.pk}/").status_code == 404
    )  # not sent yet
    actions.do_send_questionnaire(questionnaire, acting_user=w.dvq_officer)
    url = f"/api/v1/steering/questionnaires/{questionnaire.pk}/answers/"
    bad = client.post(url, {"answers": {str(question.pk): "beaucoup"}, "submit": True}, format="json")
    assert (
        bad.status_code == 400 and "indiquez un nombre" in bad.json()["errors"][f"question_{question.pk}"][0]
    )
    assert QuestionnaireResponse.objects.count() == 0
    ok = client.post(url, {"answers": {str(question.pk): "7"}, "submit": True}, format="json")
    assert ok.status_code == 200 and ok.json()["status"] == "submitted"
    other = as_user(w.commune_2_user)
    other.post(url, {"answers": {str(question.pk): "3"}}, format="json")
    assert [r["commune"] for r in client.get("/api/v1/steering/answers/").json()["results"]] == ["commune-1"]
    everyone = (
        as_user(w.dvq_officer).get(f"/api/v1/steering/answers/?questionnaire={questionnaire.pk}").json()
    )
    assert sorted(r["commune"] for r in everyone["results"]) == ["commune-1", "commune-2"]
    assert (
        as_user(w.landlord_agent).get(f"/api/v1/steering/questionnaires/{questionnaire.pk}/").status_code
        == 404
    )


def test_a_partner_proposes_a_workshop_topic_and_the_organiser_chooses_it(people, now, as_user):
    workshop = actions.do_create_meeting(
        kind="partner_workshop",
        title="Atelier",
        starts_at=paris(2026, 11, 5, 9, 30),
        ends_at=paris(2026, 11, 5, 12, 0),
        place="Mairie",
        invited_organisations=[people.commune.pk],
        acting_user=people.dvq_officer,
    )
    url = f"/api/v1/steering/meetings/{workshop.pk}/"
    proposed = as_user(people.commune_user).post(url + "topics/", {"title": "Dépôts sauvages"}, format="json")
    assert proposed.status_code == 201 and proposed.json()[0]["chosen"] is False
    empty = as_user(people.commune_user).post(url + "topics/", {"title": " "}, format="json")
    assert empty.status_code == 400
    topic = proposed.json()[0]["id"]
    assert as_user(people.commune_user).post(url + "choose-topic/", {"topic": topic}).status_code == 403
    chosen = as_user(people.dvq_officer).post(url + "choose-topic/", {"topic": topic})
    assert chosen.status_code == 200 and chosen.json()["chosen"] is True
    assert as_user(people.landlord_agent).get(url + "topics/").status_code == 404
    assert audit_events() == ["meeting_created", "topic_proposed", "topic_chosen"]


def test_a_date_filter_with_an_impossible_utc_offset_is_a_400_naming_it(people, now, as_user):
    # found by schemathesis on PostgreSQL, which refuses offsets past ±15:59 (it answered 500)
    client = as_user(people.commune_user)
    response = client.get("/api/v1/steering/meetings/", {"starts_after": "0154-11-01T10:54:42.3-16:43"})
    assert response.status_code == 400 and "starts_after" in response.json()["errors"]
    assert (
        client.get("/api/v1/steering/meetings/", {"starts_after": "2026-11-01T10:00+01:00"}).status_code
        == 200
    )


@pytest.mark.parametrize("value", ["-1e300", "99999999999999999999999", "1.5", "zéro"])
def test_a_meeting_filter_that_is_no_row_id_is_a_400_naming_it(people, now, as_user, value):
    # found by schemathesis on SQLite: a huge number overflowed the foreign-key lookup (it answered 500)
    client = as_user(people.commune_user)
    response = client.get("/api/v1/steering/actions/", {"meeting": value})
    assert response.status_code == 400 and "meeting" in response.json()["errors"]
    assert client.get("/api/v1/steering/actions/", {"meeting": "1"}).json()["results"] == []
