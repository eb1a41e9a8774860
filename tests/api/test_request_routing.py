"""A request's `routing` carries the full decision: handler, rules considered in order, the deciding one."""

import pytest

from directory.models import Competence
from directory.routing import OutsideTerritory, resolve
from engine.models import AuditEntry, OutboxEvent
from procedures.models import InterventionRequest
from tests.factories import POINT_IN_COMMUNE_1, POINT_OUTSIDE


def file_one(client):
    response = client.post(
        "/api/v1/requests/",
        {
            "category": "potholes",
            "description": "Trou profond",
            "lon": POINT_IN_COMMUNE_1[0],
            "lat": POINT_IN_COMMUNE_1[1],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    return InterventionRequest.objects.get(pk=response.json()["id"])


def test_the_detail_carries_the_rules_considered_in_order_and_the_one_that_decided(as_user, world, potholes):
    client = as_user(world.commune_user)
    request = file_one(client)
    audit, events = AuditEntry.objects.count(), OutboxEvent.objects.count()

    response = client.get(f"/api/v1/requests/{request.pk}/")
    assert response.status_code == 200
    routing = response.json()["routing"]
    resolved = client.get(
        "/api/v1/routing/resolve/",
        {"lat": POINT_IN_COMMUNE_1[1], "lon": POINT_IN_COMMUNE_1[0], "category": "potholes"},
    ).json()
    assert routing["rules"] == resolved["explanation"]
    assert [step["rule"] for step in routing["rules"]] == sorted(step["rule"] for step in routing["rules"])
    assert set(routing["rules"][0]) == {"rule", "code", "decided", "detail"}
    (deciding,) = [step for step in routing["rules"] if step["decided"]]
    assert routing["decided_by"] == deciding
    assert deciding["rule"] == resolved["decided_by"]
    assert routing["rules_handler"] == {
        "code": "ctc-1",
        "name": world.ctc.name,
        "organisation": world.ctc.organisation.code,
    }
    assert routing["rules_match_handler"] is True and routing["rules_error"] is None
    assert routing["rules_computed_at"]
    # The fields stored at filing are still there, unchanged.
    assert routing["handler"] == {
        "code": "ctc-1",
        "name": world.ctc.name,
        "organisation": world.ctc.organisation.code,
    }
    assert routing["dispatcher"] == (request.dispatcher_unit.code if request.dispatcher_unit_id else None)
    assert routing["to_qualify"] is False
    assert routing["explanation"] == request.routing_explanation == deciding["detail"]
    # Reading changes nothing.
    assert AuditEntry.objects.count() == audit and OutboxEvent.objects.count() == events


def test_the_rules_say_when_they_no_longer_lead_to_the_current_handler(as_user, world, potholes):
    client = as_user(world.commune_user)
    request = file_one(client)
    Competence.objects.filter(unit=world.ctc, category=potholes).delete()  # the directory changed since

    routing = client.get(f"/api/v1/requests/{request.pk}/").json()["routing"]
    assert routing["handler"]["code"] == "ctc-1"  # the request keeps its handler
    assert routing["rules_match_handler"] is False
    assert routing["decided_by"] is None or routing["decided_by"]["code"] != "territorial_competence"
    assert routing["explanation"] == request.routing_explanation


def test_the_rules_say_why_they_cannot_be_computed_for_a_point_now_outside_the_territory(
    as_user, world, potholes
):
    client = as_user(world.commune_user)
    request = file_one(client)
    # Stands for a territory whose perimeters changed after filing: the stored point is now outside.
    InterventionRequest.objects.filter(pk=request.pk).update(lon=POINT_OUTSIDE[0], lat=POINT_OUTSIDE[1])

    response = client.get(f"/api/v1/requests/{request.pk}/")
    assert response.status_code == 200
    routing = response.json()["routing"]
    assert routing["rules"] == [] and routing["decided_by"] is None and routing["rules_handler"] is None
    assert routing["rules_match_handler"] is None
    assert routing["rules_error"]
    with pytest.raises(OutsideTerritory):
        resolve(POINT_OUTSIDE[0], POINT_OUTSIDE[1], "potholes")
    assert routing["explanation"] == request.routing_explanation and routing["handler"]["code"] == "ctc-1"
