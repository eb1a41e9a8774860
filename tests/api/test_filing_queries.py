"""What a POST /api/v1/requests/ costs in SQL statements, authentication, throttle and idempotency
included, stated exactly so that a regression shows; and that its outbox events wait for the worker."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from engine import outbox
from engine.models import OutboxEvent
from procedures.models import InterventionRequest, Notification
from tests.factories import POINT_IN_COMMUNE_1

# A POST /api/v1/requests/ with a token (the test runs the filing in a savepoint: 2 of these statements,
# SAVEPOINT and RELEASE, are not run in production, where the filing is the transaction):
#   authentication (1): the token with its user, organisation and roles in one query (the write
#     throttle counts in the cache, not in SQL)
#   validation and routing (3): the catalogue's stamp (the category with its attributes and criteria,
#     the published version and the service levels then come from the per-process cache keyed on it:
#     procedures/catalogue_cache.py), the routing index's stamp (the units and organisations it names
#     come from the per-process cache keyed on that stamp), the version check of the sub-sector
#     procedures' index
#   filing (10): reference, INSERT case, INSERT role holders, INSERT deadline(s), INSERT their
#     escalation points, INSERT audit, INSERT outbox, INSERT request (with its case), INSERT message to
#     the commune, INSERT its outbox event; + SAVEPOINT/RELEASE
#   the 201 (0): from the objects in hand (messages, criteria and deadlines just written)
# In a test every filing runs inside the transaction that created the fixtures (a bumping transaction), so
# the three caches read LayerVersion's counters on every call. In production the three share one read,
# made at most once every ROUTING_INDEX_CHECK_MS: a POST then costs 1 + 10 statements
# (tests/procedures/test_filing_queries.py shows it).
POST_STATEMENTS = 1 + 3 + 10 + 2
# An Idempotency-Key adds: DELETE of an expired record with that key, INSERT of the record (in a
# savepoint here), UPDATE with the response; its replay: the token, the DELETE, the INSERT refused by
# the unique key (with SAVEPOINT, ROLLBACK TO and RELEASE here), the stored record: nothing filed.
IDEMPOTENCY_STATEMENTS = 3 + 2
REPLAY_STATEMENTS = 4 + 3

BODY = {"category": "potholes", "description": "Un nid-de-poule.", "lon": POINT_IN_COMMUNE_1[0]}


def body(**extra):
    return {**BODY, "lat": POINT_IN_COMMUNE_1[1], **extra}


def post(client, *, key=None, **extra):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post("/api/v1/requests/", body(**extra), format="json", **headers)


def test_filing_through_the_api_runs_a_fixed_number_of_statements(world, as_user, potholes, settings):
    settings.API_WRITE_THROTTLE_RATE = "1000/min"
    client = as_user(world.commune_user)
    assert post(client).status_code == 201  # fills the per-process caches
    with CaptureQueriesContext(connection) as queries:
        response = post(client, description="Un autre nid-de-poule.")
    assert response.status_code == 201, response.content
    assert len(queries.captured_queries) == POST_STATEMENTS, [
        q["sql"][:120] for q in queries.captured_queries
    ]
    filed = InterventionRequest.objects.get(reference=response.json()["reference"])
    answer = response.json()
    assert answer["deadlines"] and answer["state"] == filed.case.state == "submitted"
    assert answer["routing"]["rules_match_handler"] is True and answer["routing"]["rules"]
    assert answer["available_transitions"] == []  # the commune can do nothing more on it now
    assert [m["kind"] for m in answer["messages"]] == ["filed"]
    reread = client.get(f"/api/v1/requests/{filed.pk}/").json()
    for field in ("routing", "deadlines", "messages", "available_transitions", "handler", "state"):
        if field == "routing":
            answer[field].pop("rules_computed_at"), reread[field].pop("rules_computed_at")
        assert answer[field] == reread[field], field  # the 201 says what a GET says
    events = OutboxEvent.objects.filter(case_id=filed.case_id)
    assert events.count() == 2 and not events.exclude(delivered_at=None).exists()
    assert outbox.dispatch() == 4
    assert Notification.objects.filter(request=filed, user=world.commune_user).count() == 1


def test_an_idempotency_key_costs_a_fixed_number_of_statements(world, as_user, potholes, settings):
    settings.API_WRITE_THROTTLE_RATE = "1000/min"
    client = as_user(world.commune_user)
    assert post(client, key="warm-up").status_code == 201
    with CaptureQueriesContext(connection) as queries:
        response = post(client, key="k-1", description="Encore un.")
    assert response.status_code == 201, response.content
    assert len(queries.captured_queries) == POST_STATEMENTS + IDEMPOTENCY_STATEMENTS, [
        q["sql"][:120] for q in queries.captured_queries
    ]
    with CaptureQueriesContext(connection) as replay:
        again = post(client, key="k-1", description="Encore un.")
    assert again.status_code == 201 and again.json() == response.json()
    assert len(replay.captured_queries) == REPLAY_STATEMENTS
    assert InterventionRequest.objects.filter(description="Encore un.").count() == 1
