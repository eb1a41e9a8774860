"""Request pages without a browser: filing, lists, detail, transitions, the urgency check, queues, DVQ."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from engine.models import Alert, AlertState, Attachment, AuditEntry, Comment, Deadline, OutboxEvent
from procedures.models import InterventionRequest, RequestFollower, RequestMessage
from tests.factories import POINT_IN_COMMUNE_1, POINT_IN_COMMUNE_2, POINT_IN_QPV
from tests.procedures.helpers import PNG_1PX, make_request_row, upload

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def setup(world, procedure, category):
    return world


def file_form(**overrides):
    data = {
        "file": "1",
        "category": "encombrants",
        "description": "Un matelas sur le trottoir",
        "lon": POINT_IN_QPV[0],
        "lat": POINT_IN_QPV[1],
        "urgency": "normal",
        "attr_access": "pavement",
    }
    data.update(overrides)
    return data


def file_request(client, user, **overrides):
    client.force_login(user)
    response = client.post(reverse("request-new"), file_form(**overrides), **EN)
    assert response.status_code == 302, response.content.decode()[-3000:]
    client.get(response["Location"])  # shows (and so consumes) the "filed" message
    return InterventionRequest.objects.latest("pk")


def body_of(response):
    return response.content.decode()


# --- filing ------------------------------------------------------------------------------------------------
def test_a_commune_files_an_urgent_request_with_a_photo_and_lands_on_its_page(client, setup):
    client.force_login(setup.commune_user)
    photo = upload("matelas.png", PNG_1PX, "image/png")
    response = client.post(
        reverse("request-new"),
        file_form(urgency="urgent", urgency_criteria=["danger"], attr_volume="2", photos=[photo]),
        **EN,
    )
    filed = InterventionRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("request-detail", args=[filed.reference])
    assert (filed.urgency, filed.urgency_justified, filed.in_qpv) == ("urgent", True, True)
    assert filed.attributes == {"volume": 2, "access": "pavement"}
    assert [c.code for c in filed.urgency_criteria.all()] == ["danger"]
    assert Attachment.objects.get(case=filed.case).name == "matelas.png"
    assert list(AuditEntry.objects.filter(case=filed.case).values_list("event", flat=True)) == [
        "opened",
        "attached",
    ]
    assert OutboxEvent.objects.filter(case=filed.case, kind="case.opened").count() == 1
    page = body_of(client.get(response["Location"], **EN))
    assert f"Request {filed.reference}" in page and "Submitted" in page
    assert "Danger for passers-by" in page and "matelas.png" in page
    # messages to the commune are written in French, in plain words
    assert "examine la demande et la transmet au bon service" in page


def test_it_refuses_a_point_in_another_commune_and_saves_nothing(client, setup):
    client.force_login(setup.commune_user)
    response = client.post(
        reverse("request-new"), file_form(lon=POINT_IN_COMMUNE_2[0], lat=POINT_IN_COMMUNE_2[1]), **EN
    )
    assert response.status_code == 400
    assert "This point is in Commune Deux" in body_of(response)
    assert InterventionRequest.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_it_names_each_missing_field_and_keeps_what_was_typed(client, setup):
    client.force_login(setup.commune_user)
    response = client.post(reverse("request-new"), file_form(description="", attr_access="", lat="abc"), **EN)
    assert response.status_code == 400
    page = body_of(response)
    assert page.count('class="errorlist"') >= 3
    assert "Un matelas" not in page  # the description was emptied by the user
    assert 'value="pavement"' in page and "checked" not in page.split('value="pavement"')[1][:30]
    assert InterventionRequest.objects.count() == 0


def test_an_urgent_request_without_criterion_opens_the_urgency_check(client, setup):
    filed = file_request(client, setup.commune_user, urgency="urgent", confirm_no_criterion="on")
    alert = Alert.objects.get(case=filed.case)
    assert alert.state == AlertState.RAISED
    page = body_of(client.get(reverse("request-detail", args=[filed.reference]), **EN))
    assert "Send the justification" in page


def test_the_category_questions_come_without_javascript_and_file_nothing(client, setup):
    client.force_login(setup.commune_user)
    response = client.post(reverse("request-new"), {"pick": "1", "category": "encombrants"}, **EN)
    assert response.status_code == 200
    page = body_of(response)
    assert 'name="attr_access"' in page and 'name="urgency_criteria"' in page
    assert "errorlist" not in page
    assert InterventionRequest.objects.count() == 0
    fragment = client.get(reverse("request-new-category-fields"), {"category": "encombrants"}, **EN)
    assert 'name="attr_volume"' in body_of(fragment) and "<html" not in body_of(fragment)


def test_duplicates_are_shown_before_filing_and_the_commune_can_follow_one_instead(client, setup, category):
    other = make_request_row(
        category,
        lon=POINT_IN_QPV[0] + 0.0001,
        lat=POINT_IN_QPV[1],
        commune=setup.commune,
        requester_organisation=setup.landlord,
        reference="DI-2026-000777",
    )
    client.force_login(setup.commune_user)
    params = {"category": "encombrants", "lon": POINT_IN_QPV[0], "lat": POINT_IN_QPV[1]}
    fragment = body_of(client.get(reverse("request-new-duplicates"), params, **EN))
    assert "DI-2026-000777" in fragment and "Follow DI-2026-000777 instead" in fragment
    far = {"category": "encombrants", "lon": POINT_IN_COMMUNE_1[0], "lat": POINT_IN_COMMUNE_1[1]}
    assert "DI-2026-000777" not in body_of(client.get(reverse("request-new-duplicates"), far, **EN))
    response = client.post(reverse("request-follow", args=[other.reference]), file_form(), **EN)
    assert response.status_code == 302
    assert RequestFollower.objects.filter(request=other, organisation=setup.commune).exists()
    assert InterventionRequest.objects.count() == 1


def test_a_commune_does_not_see_the_duplicates_of_another_commune(client, setup, category):
    make_request_row(
        category,
        lon=POINT_IN_COMMUNE_2[0],
        lat=POINT_IN_COMMUNE_2[1],
        commune=setup.commune_2,
        reference="DI-2026-000888",
    )
    client.force_login(setup.commune_user)
    params = {"category": "encombrants", "lon": POINT_IN_COMMUNE_2[0], "lat": POINT_IN_COMMUNE_2[1]}
    assert "DI-2026-000888" not in body_of(client.get(reverse("request-new-duplicates"), params))
    assert client.post(reverse("request-follow", args=["DI-2026-000888"])).status_code == 404


# --- lists and scope ------------------------------------------------------------------------------------
def test_the_list_and_the_detail_go_through_the_scope_filter(client, setup):
    filed = file_request(client, setup.commune_user)
    assert filed.reference in body_of(client.get(reverse("request-list")))
    client.force_login(setup.commune_2_user)
    assert filed.reference not in body_of(client.get(reverse("request-list")))
    assert client.get(reverse("request-detail", args=[filed.reference])).status_code == 404
    assert client.post(reverse("request-comment", args=[filed.reference]), {"body": "x"}).status_code == 404
    points = client.get(reverse("request-points")).json()
    assert points["features"] == []


def test_the_list_filters_by_urgency_text_and_status_and_offers_the_points(client, setup):
    urgent = file_request(client, setup.commune_user, urgency="urgent", urgency_criteria=["danger"])
    normal = file_request(client, setup.commune_user, description="Canapé abandonné")
    page = body_of(client.get(reverse("request-list"), {"urgency": "urgent"}))
    assert urgent.reference in page and normal.reference not in page
    page = body_of(client.get(reverse("request-list"), {"q": "canapé"}))
    assert normal.reference in page and urgent.reference not in page
    page = body_of(client.get(reverse("request-list"), {"status": "closed"}))
    assert urgent.reference not in page and normal.reference not in page
    points = client.get(reverse("request-points"), {"urgency": "urgent"}).json()["features"]
    assert [p["properties"]["url"] for p in points] == [reverse("request-detail", args=[urgent.reference])]
    assert points[0]["geometry"]["coordinates"] == [POINT_IN_QPV[0], POINT_IN_QPV[1]]


def test_htmx_filtering_returns_only_the_results(client, setup):
    file_request(client, setup.commune_user)
    response = client.get(
        reverse("request-list"),
        {"urgency": "normal"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="request-results",
    )
    assert response.status_code == 200
    assert "<html" not in body_of(response) and '<table class="requests">' in body_of(response)


def test_the_list_takes_a_constant_number_of_queries(client, setup):
    def queries_for_list():
        with CaptureQueriesContext(connection) as context:
            response = client.get(reverse("request-list"))
        assert response.status_code == 200
        return len(context.captured_queries), body_of(response).count('<a href="/requests/DI-')

    for n in range(2):
        file_request(client, setup.commune_user, description=f"n{n}")
    few = queries_for_list()
    for n in range(6):
        file_request(client, setup.commune_user, description=f"m{n}")
    many = queries_for_list()
    assert (few[1], many[1]) == (2, 8)
    assert many[0] == few[0] <= 12


# --- the handler's work ---------------------------------------------------------------------------------
def step(client, filed, code, data=None):
    return client.post(
        reverse("request-transition", args=[filed.reference, code]),
        {f"t-{code}-{key}": value for key, value in (data or {}).items()},
        **EN,
    )


def test_the_ctc_agent_qualifies_plans_and_finishes_and_the_commune_confirms(client, setup):
    filed = file_request(client, setup.commune_user)
    client.force_login(setup.ctc_agent)
    page = body_of(client.get(reverse("request-detail", args=[filed.reference]), **EN))
    assert "Acknowledge" in page and "Qualify" in page and "History" in page
    response = step(
        client,
        filed,
        "qualify",
        {
            "category": "encombrants",
            "urgency": "normal",
            "handler_unit": setup.ctc.pk,
            "handler_agent": setup.ctc_agent.pk,
        },
    )
    assert response.status_code == 302, body_of(response)[-2000:]
    filed.refresh_from_db()
    assert (filed.case.state, filed.handler_agent) == ("qualified", setup.ctc_agent)
    tomorrow = timezone.localdate() + timedelta(days=1)
    assert step(client, filed, "plan", {"planned_date": tomorrow.isoformat()}).status_code == 302
    assert step(client, filed, "finish", {"resolution_note": "Enlevé"}).status_code == 302
    filed.refresh_from_db()
    assert (filed.case.state, filed.planned_date, filed.resolution_note) == ("done", tomorrow, "Enlevé")
    client.force_login(setup.commune_user)
    page = body_of(client.get(reverse("request-detail", args=[filed.reference]), **EN))
    assert "Confirm the resolution" in page and "est prévue le" in page  # the message is in French
    assert step(client, filed, "confirm").status_code == 302
    filed.refresh_from_db()
    assert filed.case.state == "closed" and filed.closed_at is not None
    events = list(
        AuditEntry.objects.filter(case=filed.case, event="transition").values_list("to_state", flat=True)
    )
    assert events == ["qualified", "planned", "done", "closed"]
    kinds = list(RequestMessage.objects.filter(request=filed).values_list("kind", flat=True))
    assert kinds == ["filed", "qualified", "planned", "done", "closed"]


def test_it_refuses_a_planned_date_in_the_past_with_the_message_on_the_field(client, setup):
    filed = file_request(client, setup.commune_user)
    client.force_login(setup.ctc_agent)
    step(
        client,
        filed,
        "qualify",
        {"category": "encombrants", "urgency": "normal", "handler_unit": setup.ctc.pk},
    )
    yesterday = timezone.localdate() - timedelta(days=1)
    response = step(client, filed, "plan", {"planned_date": yesterday.isoformat()})
    assert response.status_code == 400
    assert "The planned date cannot be in the past." in body_of(response)
    filed.refresh_from_db()
    assert filed.case.state == "qualified" and filed.planned_date is None


def test_a_step_that_needs_a_comment_says_so(client, setup):
    filed = file_request(client, setup.commune_user)
    client.force_login(setup.ctc_agent)
    response = step(client, filed, "reject", {"turn_to": "La mairie"})
    assert response.status_code == 400
    assert "This field is required." in body_of(response)
    filed.refresh_from_db()
    assert filed.case.state == "submitted"


def test_a_commune_cannot_fire_a_handler_step(client, setup):
    filed = file_request(client, setup.commune_user)
    before = AuditEntry.objects.count()
    response = step(client, filed, "acknowledge")
    assert response.status_code == 400
    assert "This step is not possible now" in body_of(response)
    assert AuditEntry.objects.count() == before


def test_comments_marked_internal_are_hidden_from_the_commune(client, setup):
    filed = file_request(client, setup.commune_user)
    client.force_login(setup.ctc_agent)
    url = reverse("request-comment", args=[filed.reference])
    assert client.post(url, {"body": "Secret de service", "internal": "on"}).status_code == 302
    assert client.post(url, {"body": "Passage prévu"}).status_code == 302
    assert Comment.objects.filter(case=filed.case, internal=True).count() == 1
    assert AuditEntry.objects.filter(case=filed.case, event="commented").count() == 2
    client.force_login(setup.commune_user)
    page = body_of(client.get(reverse("request-detail", args=[filed.reference])))
    assert "Passage prévu" in page and "Secret de service" not in page
    assert 'name="comment-internal"' not in page and 'name="internal"' not in page
    before = AuditEntry.objects.count()
    refused = client.post(url, {"body": "Merci", "internal": "on"})
    assert refused.status_code == 403  # never stored, neither internal nor public
    assert "Seuls les services qui traitent cette demande" in body_of(refused)
    assert not Comment.objects.filter(body="Merci").exists() and AuditEntry.objects.count() == before


def test_a_file_is_attached_checked_by_content_and_downloaded_in_scope_only(client, setup):
    filed = file_request(client, setup.commune_user)
    url = reverse("request-attach", args=[filed.reference])
    bad = client.post(url, {"file": upload("photo.png", b"not an image", "image/png")}, **EN)
    assert bad.status_code == 400 and Attachment.objects.count() == 0
    assert client.post(url, {"file": upload("photo.png", PNG_1PX, "image/png")}).status_code == 302
    attachment = Attachment.objects.get()
    download = reverse("request-attachment", args=[filed.reference, attachment.pk])
    response = client.get(download)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PNG_1PX
    client.force_login(setup.commune_2_user)
    assert client.get(download).status_code == 404


# --- the DVQ's urgency check -------------------------------------------------------------------------------
def test_the_dvq_raises_an_alert_the_commune_answers_and_the_dvq_closes_it(client, setup):
    filed = file_request(client, setup.commune_user, urgency="urgent", urgency_criteria=["danger"])
    client.force_login(setup.dvq_officer)
    url = reverse("request-alert-raise", args=[filed.reference])
    assert client.post(url, {"reason": "Le danger n'est pas établi"}).status_code == 302
    alert = Alert.objects.get(case=filed.case)
    assert alert.state == AlertState.RAISED
    # the alert's answer clock is an engine deadline, shown with the alert and not as a request deadline
    assert Deadline.objects.filter(case=filed.case, kind=f"alert:{alert.pk}").exists()
    detail = client.get(reverse("request-detail", args=[filed.reference])).content.decode()
    assert f"alert:{alert.pk}" not in detail
    client.force_login(setup.commune_user)
    answer = reverse("request-alert-answer", args=[filed.reference])
    assert client.post(answer, {"answer": "Matelas sur la chaussée"}).status_code == 302
    alert.refresh_from_db()
    assert alert.state == AlertState.ANSWERED
    assert (
        client.post(reverse("request-alert-close", args=[filed.reference]), {"outcome": "upheld"}).status_code
        == 403
    )
    client.force_login(setup.dvq_officer)
    close = reverse("request-alert-close", args=[filed.reference])
    assert client.post(close, {"outcome": "dismissed", "note": "OK"}).status_code == 302
    alert.refresh_from_db()
    filed.refresh_from_db()
    assert (alert.state, alert.outcome, filed.urgency_justified) == (AlertState.CLOSED, "dismissed", True)
    events = list(AuditEntry.objects.filter(case=filed.case).values_list("event", flat=True))
    assert events[-3:] == ["alert_raised", "alert_answered", "alert_closed"]


def test_a_commune_cannot_raise_an_urgency_check(client, setup):
    filed = file_request(client, setup.commune_user, urgency="urgent", urgency_criteria=["danger"])
    response = client.post(reverse("request-alert-raise", args=[filed.reference]), {"reason": "x"}, **EN)
    assert response.status_code == 403
    assert Alert.objects.count() == 0


# --- queues, DVQ, home -------------------------------------------------------------------------------------
def test_the_queues_count_and_list_the_agents_work(client, setup):
    filed = file_request(client, setup.commune_user)
    client.force_login(setup.ctc_agent)
    page = body_of(client.get(reverse("queue"), {"queue": "to_qualify"}, **EN))
    assert "To qualify (1)" in page and "Assigned to me (0)" in page and filed.reference in page
    step(
        client,
        filed,
        "qualify",
        {
            "category": "encombrants",
            "urgency": "normal",
            "handler_unit": setup.ctc.pk,
            "handler_agent": setup.ctc_agent.pk,
        },
    )
    page = body_of(client.get(reverse("queue"), {"queue": "mine"}, **EN))
    assert "To qualify (0)" in page and "Assigned to me (1)" in page and filed.reference in page
    points = client.get(reverse("queue-points"), {"queue": "mine"}).json()["features"]
    assert len(points) == 1
    client.force_login(setup.waste_agent)
    assert filed.reference not in body_of(client.get(reverse("queue"), {"queue": "team"}))
    client.force_login(setup.commune_user)
    assert client.get(reverse("queue")).status_code == 403


def test_overdue_requests_appear_once_their_deadline_has_passed(client, setup, time_machine):
    filed = file_request(client, setup.commune_user)
    client.force_login(setup.ctc_agent)
    assert "Overdue (0)" in body_of(client.get(reverse("queue"), **EN))
    time_machine.move_to(timezone.now() + timedelta(days=10))  # past the acknowledgement deadline
    client.force_login(setup.ctc_agent)  # ten idle days ended the session (SESSION_IDLE_SECONDS)
    page = body_of(client.get(reverse("queue"), {"queue": "overdue"}, **EN))
    assert "Overdue (1)" in page and filed.reference in page


def test_the_dvq_dashboard_counts_urgencies_alerts_and_communes(client, setup):
    # no criterion (confirmed): unjustified, check raised
    file_request(client, setup.commune_user, urgency="urgent", confirm_no_criterion="on")
    file_request(client, setup.commune_user, urgency="urgent", urgency_criteria=["danger"])
    client.force_login(setup.dvq_officer)
    response = client.get(reverse("dvq-dashboard"), **EN)
    assert response.status_code == 200
    page = body_of(response)
    assert '<span class="count">2</span> Urgent open requests' in page
    assert '<span class="count">1</span> Unjustified urgencies' in page
    assert "<td>Commune Une</td><td>2</td><td>2</td><td>1</td><td>0</td><td>2</td>" in page
    client.force_login(setup.commune_user)
    assert client.get(reverse("dvq-dashboard")).status_code == 403


def test_the_home_page_tells_each_role_what_needs_attention(client, setup):
    file_request(client, setup.commune_user, urgency="urgent", confirm_no_criterion="on")
    page = body_of(client.get(reverse("home"), **EN))
    assert '<span class="count alert">1</span> Urgency checks to answer' in page
    assert '<span class="count">1</span> Open requests of my commune' in page
    client.force_login(setup.ctc_agent)
    page = body_of(client.get(reverse("home"), **EN))
    assert '<span class="count">1</span> To qualify' in page
    client.force_login(setup.dvq_officer)
    assert '<span class="count">1</span> Urgent open requests' in body_of(client.get(reverse("home"), **EN))


def test_a_team_lead_qualifies_and_assigns_several_requests_at_once(client, setup):
    first = file_request(client, setup.commune_user, description="un")
    second = file_request(client, setup.commune_user, description="deux")
    third = file_request(client, setup.commune_user, description="trois")
    client.force_login(setup.ctc_lead)
    page = body_of(client.get(reverse("queue"), {"queue": "to_qualify"}, **EN))
    assert 'form="bulk-assign"' in page and "Qualify and assign to" in page
    response = client.post(
        reverse("queue-assign"), {"requests": [first.pk, second.pk], "agent": setup.ctc_agent.pk}, **EN
    )
    assert response.status_code == 302
    for item in (first, second, third):
        item.refresh_from_db()
    assert [(i.case.state, i.handler_agent) for i in (first, second, third)] == [
        ("qualified", setup.ctc_agent),
        ("qualified", setup.ctc_agent),
        ("submitted", None),
    ]
    assert AuditEntry.objects.filter(event="transition", to_state="qualified").count() == 2
    page = body_of(client.get(response["Location"], **EN))
    assert f"Assigned to ctc: {first.reference}, {second.reference}." in page, page[
        page.find("messages") - 100 : page.find("messages") + 400
    ]


def test_bulk_assignment_refuses_a_request_outside_the_queue_and_changes_nothing(client, setup):
    filed = file_request(client, setup.commune_user)
    client.force_login(setup.ctc_lead)
    other_agent = setup.waste_agent
    response = client.post(reverse("queue-assign"), {"requests": [filed.pk], "agent": other_agent.pk}, **EN)
    assert response.status_code == 302
    assert "Select a valid choice" in body_of(client.get(response["Location"], **EN))
    filed.refresh_from_db()
    assert filed.case.state == "submitted" and filed.handler_agent is None
    client.force_login(setup.commune_user)
    assert client.post(reverse("queue-assign"), {"requests": [filed.pk]}).status_code == 403


def test_the_history_shows_automatic_steps_and_a_request_without_handler_is_listed(client, setup, category):
    # the system raises the check
    filed = file_request(client, setup.commune_user, urgency="urgent", confirm_no_criterion="on")
    assert AuditEntry.objects.filter(case=filed.case, event="alert_raised", actor=None).exists()
    make_request_row(category, lon=POINT_IN_QPV[0], lat=POINT_IN_QPV[1], commune=setup.commune)
    client.force_login(setup.ctc_agent)
    page = body_of(client.get(reverse("request-detail", args=[filed.reference]), **EN))
    assert "system · Urgency check raised" in page
    client.force_login(setup.admin_user)
    response = client.get(reverse("request-list"), **EN)
    assert response.status_code == 200
    assert "DI-TEST-" in body_of(response) and '<td data-label="Handler">—' in body_of(response)


def test_a_missed_deadline_s_alert_is_the_services_business_and_never_asks_the_commune_to_justify(
    client, setup, time_machine
):
    from engine.sweeper import sweep

    time_machine.move_to(timezone.now(), tick=False)
    filed = file_request(client, setup.commune_user)
    time_machine.move_to(timezone.now() + timedelta(days=30), tick=False)  # both deadlines missed
    assert sweep() > 0
    missed = Alert.objects.filter(case=filed.case).exclude(code="urgency_check")
    assert missed.exists() and not Alert.objects.filter(case=filed.case, code="urgency_check").exists()

    client.force_login(setup.commune_user)
    page = body_of(client.get(reverse("request-detail", args=[filed.reference])))
    assert "Alertes de délai" not in page and "Contrôle de l&#x27;urgence" not in page
    assert "Votre justification" not in page and missed.first().reason not in page
    before = (AuditEntry.objects.count(), Alert.objects.filter(state=AlertState.RAISED).count())
    client.post(reverse("request-alert-answer", args=[filed.reference]), {"answer": "Pourtant…"})
    assert (AuditEntry.objects.count(), Alert.objects.filter(state=AlertState.RAISED).count()) == before

    client.force_login(setup.ctc_agent)
    page = body_of(client.get(reverse("request-detail", args=[filed.reference])))
    assert "Alertes de délai" in page and missed.first().reason in page
    assert "Votre justification" not in page
    # Its history names it for what it is, in French, never by its code nor as an urgency check.
    assert "Alerte de délai émise" in page and "Échéance dépassée : escalade" in page
    assert "Contrôle de l&#x27;urgence demandé" not in page and "· escalation" not in page

    # The API agrees: the commune's alert list and detail leave the deadline alert out (404), staff see it.
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(setup.commune_user)
    assert api.get("/api/v1/alerts/").json()["count"] == 0
    assert api.get(f"/api/v1/alerts/{missed.first().pk}/").status_code == 404
    api.force_authenticate(setup.ctc_agent)
    assert api.get("/api/v1/alerts/").json()["count"] == missed.count()
