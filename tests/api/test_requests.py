from engine.models import AuditEntry, OutboxEvent
from procedures.models import InterventionRequest
from tests.factories import POINT_IN_COMMUNE_1, POINT_IN_COMMUNE_2, POINT_OUTSIDE


def file_body(point=POINT_IN_COMMUNE_1, **extra):
    body = {
        "category": "potholes",
        "description": "Trou profond devant l'école",
        "lon": point[0],
        "lat": point[1],
    }
    body.update(extra)
    return body


def test_a_commune_files_a_request_and_reads_it_back(as_user, world, potholes):
    client = as_user(world.commune_user)
    response = client.post(
        "/api/v1/requests/",
        file_body(urgency="urgent", urgency_criteria=["danger"], attributes={"depth": 12}, address="1 rue X"),
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    request = InterventionRequest.objects.get()
    assert body["id"] == request.pk and body["reference"] == request.reference
    assert body["state"] == "submitted" and body["phase"] == "open"
    assert body["category"] == {"code": "potholes", "name": "Nids-de-poule"}
    assert body["commune"] == {"insee": "78901", "name": "Commune Une"}
    assert body["handler"]["code"] == "ctc-1"
    assert body["routing"]["explanation"]
    assert body["urgency"] == "urgent" and body["urgency_justified"] is True
    assert body["urgency_criteria"] == ["danger"] and body["attributes"] == {"depth": 12}
    assert {d["kind"] for d in body["deadlines"]} and all(d["due"] for d in body["deadlines"])
    assert body["messages"]
    assert body["available_transitions"] == []
    assert AuditEntry.objects.filter(case_id=request.case_id, event="opened").count() == 1
    assert OutboxEvent.objects.filter(case_id=request.case_id, kind="case.opened").count() == 1
    again = client.get(f"/api/v1/requests/{request.pk}/")
    assert again.status_code == 200 and again.json()["reference"] == request.reference


def file_as(client, **extra):
    response = client.post("/api/v1/requests/", file_body(**extra), format="json")
    assert response.status_code == 201, response.json()
    return InterventionRequest.objects.get(pk=response.json()["id"])


def test_it_rejects_a_bad_request_naming_each_field_and_files_nothing(as_user, world, potholes):
    client = as_user(world.commune_user)
    response = client.post(
        "/api/v1/requests/",
        file_body(category="nope", description=" ", urgency_criteria=["x"]),
        format="json",
    )
    assert response.status_code == 400
    assert {"category", "description"} <= set(response.json()["errors"])
    outside = client.post("/api/v1/requests/", file_body(point=POINT_OUTSIDE), format="json")
    assert outside.status_code == 400 and "location" in outside.json()["errors"]
    elsewhere = client.post("/api/v1/requests/", file_body(point=POINT_IN_COMMUNE_2), format="json")
    assert elsewhere.status_code == 400 and "location" in elsewhere.json()["errors"]
    missing = client.post("/api/v1/requests/", {"category": "potholes"}, format="json")
    assert missing.status_code == 400 and {"description", "lat", "lon"} <= set(missing.json()["errors"])
    assert InterventionRequest.objects.count() == 0 and OutboxEvent.objects.count() == 0


def test_a_user_who_may_not_file_gets_403_with_the_reason(as_user, world, potholes):
    response = as_user(world.ctc_agent).post("/api/v1/requests/", file_body(), format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "role_not_allowed" and "demandeurs" in response.json()["detail"]
    assert InterventionRequest.objects.count() == 0


def test_filing_twice_with_one_idempotency_key_files_once(as_user, world, potholes):
    client = as_user(world.commune_user)
    first = client.post("/api/v1/requests/", file_body(), format="json", HTTP_IDEMPOTENCY_KEY="file-1")
    second = client.post("/api/v1/requests/", file_body(), format="json", HTTP_IDEMPOTENCY_KEY="file-1")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json() and second["Idempotent-Replayed"] == "true"
    assert InterventionRequest.objects.count() == 1
    assert OutboxEvent.objects.filter(kind="case.opened").count() == 1
    other = client.post(
        "/api/v1/requests/", file_body(description="autre"), format="json", HTTP_IDEMPOTENCY_KEY="file-1"
    )
    assert other.status_code == 422 and InterventionRequest.objects.count() == 1


def test_out_of_scope_requests_are_404_on_every_route(as_user, world, potholes):
    request = file_as(as_user(world.commune_user))
    other = as_user(world.commune_2_user)
    base = f"/api/v1/requests/{request.pk}/"
    for url in (base, base + "history/", base + "comments/", base + "attachments/", base + "transitions/"):
        response = other.get(url)
        assert response.status_code == 404, url
        assert response.json()["code"] == "not_found"
    assert other.post(base + "transitions/acknowledge/", {}, format="json").status_code == 404
    assert other.post(base + "comments/", {"body": "x"}, format="json").status_code == 404
    assert other.get("/api/v1/requests/").json()["count"] == 0
    assert other.get("/api/v1/requests/999999/").status_code == 404
    assert AuditEntry.objects.filter(case_id=request.case_id).count() == 1  # nothing happened


def test_the_handler_lists_and_fires_transitions_through_the_engine(as_user, world, potholes):
    request = file_as(as_user(world.commune_user))
    agent = as_user(world.ctc_agent)
    listing = agent.get(f"/api/v1/requests/{request.pk}/transitions/")
    assert listing.status_code == 200
    by_code = {t["code"]: t for t in listing.json()}
    assert {"acknowledge", "qualify", "reject"} <= set(by_code)
    assert by_code["acknowledge"]["to"] == "acknowledged"
    assert by_code["reject"]["fields"]["turn_to"] == {
        "type": "text",
        "required": True,
        "label": "À qui s'adresser",
    }
    revision = agent.get(f"/api/v1/requests/{request.pk}/").json()["revision"]
    fired = agent.post(
        f"/api/v1/requests/{request.pk}/transitions/acknowledge/",
        {"expected_revision": revision},
        format="json",
    )
    assert fired.status_code == 200, fired.json()
    assert fired.json()["state"] == "acknowledged"
    assert AuditEntry.objects.filter(case_id=request.case_id, to_state="acknowledged").count() == 1
    assert OutboxEvent.objects.filter(case_id=request.case_id, kind="case.transition").count() == 1
    stale = agent.post(
        f"/api/v1/requests/{request.pk}/transitions/qualify/", {"expected_revision": revision}, format="json"
    )
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    no_date = agent.post(f"/api/v1/requests/{request.pk}/transitions/qualify/", {}, format="json")
    assert no_date.status_code == 200
    plan = agent.post(f"/api/v1/requests/{request.pk}/transitions/plan/", {"fields": {}}, format="json")
    assert plan.status_code == 400 and "planned_date" in plan.json()["errors"]
    unknown = agent.post(f"/api/v1/requests/{request.pk}/transitions/fly/", {}, format="json")
    assert unknown.status_code == 400
    request.case.refresh_from_db()
    assert request.case.state == "qualified"


def test_the_commune_may_not_fire_a_handlers_transition(as_user, world, potholes):
    client = as_user(world.commune_user)
    request = file_as(client)
    response = client.post(f"/api/v1/requests/{request.pk}/transitions/acknowledge/", {}, format="json")
    assert response.status_code == 403 and response.json()["detail"]
    request.case.refresh_from_db()
    assert request.case.state == "submitted"


def test_history_comments_and_attachments(as_user, world, potholes):
    from tests.procedures.helpers import PNG_1PX

    commune = as_user(world.commune_user)
    request = file_as(commune)
    agent = as_user(world.ctc_agent)
    base = f"/api/v1/requests/{request.pk}/"
    assert agent.post(base + "comments/", {"body": "Vu sur place"}, format="json").status_code == 201
    assert (
        agent.post(base + "comments/", {"body": "interne", "internal": True}, format="json").status_code
        == 201
    )
    assert agent.post(base + "comments/", {"body": "  "}, format="json").status_code == 400
    assert [c["body"] for c in agent.get(base + "comments/").json()["results"]] == ["Vu sur place", "interne"]
    assert [c["body"] for c in commune.get(base + "comments/").json()["results"]] == ["Vu sur place"]
    assert OutboxEvent.objects.filter(case_id=request.case_id, kind="case.commented").count() == 2

    from django.core.files.uploadedfile import SimpleUploadedFile

    photo = SimpleUploadedFile("trou.png", PNG_1PX, content_type="image/png")
    uploaded = commune.post(
        base + "attachments/", {"file": photo, "description": "photo"}, format="multipart"
    )
    assert uploaded.status_code == 201, uploaded.json()
    fake = SimpleUploadedFile("virus.png", b"MZ\x90\x00 not a png", content_type="image/png")
    refused = commune.post(base + "attachments/", {"file": fake}, format="multipart")
    assert refused.status_code == 400 and "file" in refused.json()["errors"]
    listing = agent.get(base + "attachments/").json()["results"]
    assert [(a["name"], a["size_bytes"]) for a in listing] == [("trou.png", len(PNG_1PX))]
    download = agent.get(base + f"attachments/{listing[0]['id']}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PNG_1PX

    history = agent.get(base + "history/").json()["results"]
    assert [h["event"] for h in history][:1] == ["opened"]
    assert {"commented", "attached"} <= {h["event"] for h in history}
    assert history[0]["actor"] == "Commune Une"


def test_duplicate_candidates_are_nearby_open_requests_the_caller_may_see(as_user, world, potholes):
    client = as_user(world.commune_user)
    first = file_as(client)
    near = client.get(
        f"/api/v1/requests/duplicates/?lat={POINT_IN_COMMUNE_1[1]}&lon={POINT_IN_COMMUNE_1[0]}&category=potholes"
    )
    assert near.status_code == 200
    assert [r["id"] for r in near.json()["results"]] == [first.pk]
    other = as_user(world.commune_2_user).get(
        f"/api/v1/requests/duplicates/?lat={POINT_IN_COMMUNE_1[1]}&lon={POINT_IN_COMMUNE_1[0]}&category=potholes"
    )
    assert other.json()["count"] == 0
    bad = client.get("/api/v1/requests/duplicates/?lat=abc&category=nope")
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"lat", "lon", "category"}


def not_in_qpv_yet(dvq, request):
    """The point is outside the QPV: the DVQ sees the request only once it carries an alert."""
    return dvq.get(f"/api/v1/requests/{request.pk}/").status_code == 404


def raise_check(world, request):
    from engine.models import Alert
    from procedures.actions import do_raise_urgency_alert

    do_raise_urgency_alert(request, acting_user=world.dvq_officer, reason="Justifiez l'urgence")
    return Alert.objects.get(case_id=request.case_id)


def test_the_urgency_check_alert_is_raised_answered_and_upheld(as_user, world, potholes):
    commune = as_user(world.commune_user)
    request = file_as(commune, urgency="urgent", urgency_criteria=["danger"])
    dvq = as_user(world.dvq_officer)
    base = f"/api/v1/requests/{request.pk}/"
    refused = commune.post(base + "urgency-check/", {"reason": "Pourquoi ?"}, format="json")
    assert refused.status_code == 403
    assert not_in_qpv_yet(dvq, request)
    alert = raise_check(world, request)
    listing = commune.get("/api/v1/alerts/").json()["results"]
    assert [(a["id"], a["request"]["reference"], a["state"]) for a in listing] == [
        (alert.pk, request.reference, "raised")
    ]
    assert (
        as_user(world.commune_2_user)
        .post(f"/api/v1/alerts/{alert.pk}/answer/", {"justification": "x"}, format="json")
        .status_code
        == 404
    )
    empty = commune.post(f"/api/v1/alerts/{alert.pk}/answer/", {}, format="json")
    assert empty.status_code == 400 and "justification" in empty.json()["errors"]
    answered = commune.post(
        f"/api/v1/alerts/{alert.pk}/answer/", {"justification": "Trou de 30 cm devant l'école"}, format="json"
    )
    assert answered.status_code == 200 and answered.json()["state"] == "answered"
    assert commune.post(f"/api/v1/alerts/{alert.pk}/uphold/", {}, format="json").status_code == 403
    upheld = dvq.post(f"/api/v1/alerts/{alert.pk}/uphold/", {"note": "Pas de danger"}, format="json")
    assert upheld.status_code == 200 and upheld.json()["outcome"] == "upheld"
    request.refresh_from_db()
    assert request.urgency == "normal" and request.urgency_justified is False
    assert AuditEntry.objects.filter(case_id=request.case_id, event="alert_closed").count() == 1
    again = dvq.post(f"/api/v1/alerts/{alert.pk}/dismiss/", {}, format="json")
    assert again.status_code == 400


def test_the_dvq_raises_an_urgency_check_through_the_api_on_a_qpv_request(as_user, world, potholes):
    from tests.factories import POINT_IN_QPV

    request = file_as(
        as_user(world.commune_user), point=POINT_IN_QPV, urgency="urgent", urgency_criteria=["danger"]
    )
    dvq = as_user(world.dvq_officer)
    url = f"/api/v1/requests/{request.pk}/urgency-check/"
    assert dvq.post(url, {"reason": " "}, format="json").status_code == 400
    raised = dvq.post(url, {"reason": "Justifiez l'urgence"}, format="json")
    assert raised.status_code == 201 and raised.json()["state"] == "raised"
    assert raised.json()["request"] == {"id": request.pk, "reference": request.reference}
    assert OutboxEvent.objects.filter(case_id=request.case_id, kind="alert.raised").count() == 1
    dismissed = dvq.post(f"/api/v1/alerts/{raised.json()['id']}/dismiss/", {"note": "ok"}, format="json")
    assert dismissed.status_code == 200 and dismissed.json()["outcome"] == "dismissed"
    request.refresh_from_db()
    assert request.urgency == "urgent" and request.urgency_justified is True


def test_the_list_filters_and_orders_within_scope(as_user, world, potholes, time_machine):
    from tests.factories import POINT_IN_QPV

    time_machine.move_to("2026-03-02 09:00:00+01:00")
    commune = as_user(world.commune_user)
    first = file_as(commune)
    time_machine.move_to("2026-03-03 09:00:00+01:00")
    urgent = file_as(commune, point=POINT_IN_QPV, urgency="urgent", urgency_criteria=["danger"])
    file_as(as_user(world.commune_2_user), point=POINT_IN_COMMUNE_2)
    agent = as_user(world.ctc_agent)
    agent.post(f"/api/v1/requests/{first.pk}/transitions/acknowledge/", {}, format="json")

    def ids(client, query=""):
        response = client.get("/api/v1/requests/" + query)
        assert response.status_code == 200, response.json()
        return [item["id"] for item in response.json()["results"]]

    assert ids(commune) == [urgent.pk, first.pk]
    assert ids(commune, "?ordering=created_at") == [first.pk, urgent.pk]
    assert ids(commune, "?state=acknowledged") == [first.pk]
    assert ids(commune, "?state=submitted,acknowledged") == [urgent.pk, first.pk]
    assert ids(commune, "?phase=open&urgency=urgent") == [urgent.pk]
    assert ids(commune, "?category=potholes&commune=78901&handler=ctc-1") == [urgent.pk, first.pk]
    assert ids(commune, "?commune=78902") == []
    assert ids(commune, "?created_after=2026-03-03T00:00:00%2B01:00") == [urgent.pk]
    assert ids(commune, "?created_before=2026-03-03T00:00:00%2B01:00") == [first.pk]
    assert ids(commune, "?updated_after=2026-03-03T00:00:00%2B01:00") == [urgent.pk, first.pk]
    assert ids(commune, f"?near={POINT_IN_QPV[0]},{POINT_IN_QPV[1]}&radius=100") == [urgent.pk]
    assert ids(commune, "?overdue=true") == []
    time_machine.move_to("2026-06-30 09:00:00+02:00")
    assert set(ids(commune, "?overdue=true")) == {urgent.pk, first.pk}
    assert ids(agent) == [urgent.pk, first.pk]
    bad = commune.get("/api/v1/requests/?near=abc&created_after=yesterday")
    assert bad.status_code == 400 and "created_after" in bad.json()["errors"]
    assert commune.get("/api/v1/requests/?near=abc").json()["errors"]["near"]
    assert commune.get("/api/v1/requests/?near=1.7,48.9&radius=999999").status_code == 400


def test_list_query_counts_stay_the_same_as_rows_grow(
    as_user, world, potholes, django_assert_num_queries, django_assert_max_num_queries
):
    from engine.models import Alert
    from procedures.actions import do_raise_urgency_alert

    commune = as_user(world.commune_user)
    dvq = as_user(world.dvq_officer)
    endpoints = ["/api/v1/requests/", "/api/v1/requests/?overdue=false&state=submitted", "/api/v1/alerts/"]

    def grow():
        request = file_as(commune, urgency="urgent", urgency_criteria=["danger"])
        do_raise_urgency_alert(request, acting_user=world.dvq_officer, reason="?")

    grow()
    for client in (commune, dvq):
        client.get("/api/v1/me/")
    counts = {}
    for client in (commune, dvq):
        for url in endpoints:
            with django_assert_max_num_queries(8) as captured:
                client.get(url)
            counts[(id(client), url)] = len(captured.captured_queries)
    for _ in range(4):
        grow()
    assert Alert.objects.count() == 5
    for client in (commune, dvq):
        for url in endpoints:
            with django_assert_num_queries(counts[(id(client), url)]):
                assert client.get(url).json()["count"] == 5


def test_nested_field_errors_keep_the_error_format(as_user, world, potholes):
    response = as_user(world.commune_user).post(
        "/api/v1/requests/", file_body(urgency_criteria=["danger", ""]), format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["errors"]["urgency_criteria"] == {"1": [body["errors"]["urgency_criteria"]["1"][0]]}
    assert body["detail"].startswith("urgency_criteria: ")
    assert InterventionRequest.objects.count() == 0


def test_impossible_query_values_are_400_naming_the_parameter(as_user, world, potholes):
    client = as_user(world.commune_user)
    nul = client.get("/api/v1/requests/?category=a%00b")
    assert nul.status_code == 400 and "category" in nul.json()["errors"]
    offset = client.get("/api/v1/requests/?created_after=2026-01-01T00:00:00%2B19:27")
    assert offset.status_code == 400 and "created_after" in offset.json()["errors"]
    assert client.get("/api/v1/parcels/?perimeter=f%00").status_code == 400
