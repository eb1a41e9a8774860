"""Open311 POST requests share the REST writes' throttle, per user of the api_key, with Open311 errors."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from api.models import ApiToken
from engine.models import AuditEntry, OutboxEvent
from procedures.models import InterventionRequest
from tests.api.test_open311_conformance import FORMATS, parse, post_request


@pytest.fixture
def open311(potholes):
    return Client()


@pytest.mark.parametrize("fmt", FORMATS)
def test_it_refuses_a_post_over_the_write_rate_with_an_open311_429(
    open311, world, settings, time_machine, fmt
):
    time_machine.move_to("2026-03-02 09:00:00+01:00", tick=False)
    settings.API_WRITE_THROTTLE_RATE = "2/min"
    key = ApiToken.objects.create_for(world.commune_user, "open311")[1]
    assert post_request(open311, fmt, key).status_code == 201
    assert post_request(open311, fmt, key).status_code == 201
    audit, events = AuditEntry.objects.count(), OutboxEvent.objects.count()

    refused = post_request(open311, fmt, key)
    assert refused.status_code == 429
    (error,) = parse(refused, fmt)
    assert str(error["code"]) == "429" and "Trop de requêtes" in error["description"]
    assert refused["Retry-After"] == "60"
    assert InterventionRequest.objects.count() == 2
    assert AuditEntry.objects.count() == audit and OutboxEvent.objects.count() == events
    assert open311.get(f"/open311/v2/requests.{fmt}").status_code == 200  # reads are not throttled

    other_key = ApiToken.objects.create_for(world.commune_2_user, "open311")[1]
    from tests.factories import POINT_IN_COMMUNE_2

    other = post_request(
        open311, fmt, other_key, lat=str(POINT_IN_COMMUNE_2[1]), long=str(POINT_IN_COMMUNE_2[0])
    )
    assert other.status_code == 201  # per user

    time_machine.move_to(timezone.now() + timedelta(seconds=61), tick=False)
    assert post_request(open311, fmt, key).status_code == 201
    assert InterventionRequest.objects.count() == 4


def test_the_budget_is_shared_with_the_rest_writes_of_the_same_user(open311, as_user, world, settings):
    settings.API_WRITE_THROTTLE_RATE = "2/min"
    client = as_user(world.commune_user)
    tokens = [ApiToken.objects.create_for(world.commune_user, f"t{i}")[0] for i in range(2)]
    assert client.delete(f"/api/v1/auth/tokens/{tokens[0].pk}/").status_code == 204
    key = ApiToken.objects.create_for(world.commune_user, "open311")[1]
    assert post_request(open311, "json", key).status_code == 201
    assert post_request(open311, "json", key).status_code == 429
    assert client.delete(f"/api/v1/auth/tokens/{tokens[1].pk}/").status_code == 429
    assert InterventionRequest.objects.count() == 1


def test_an_empty_rate_turns_open311_throttling_off(open311, world, settings):
    settings.API_WRITE_THROTTLE_RATE = ""
    key = ApiToken.objects.create_for(world.commune_user, "open311")[1]
    assert [post_request(open311, "json", key).status_code for _ in range(3)] == [201, 201, 201]
    assert InterventionRequest.objects.count() == 3
