"""Issue 11: the anonymous Open311 GET serves only public text (the platform's own messages to the
commune, cut to 500 characters), never an agent's free text; unknown service_code 404; dates need a
time zone."""

import json

import pytest
from django.test import Client

from api.models import ApiToken
from api.open311 import MAX_STATUS_NOTES
from engine.models import AuditEntry, OutboxEvent
from procedures.actions import do_file_request, do_transition_request
from procedures.models import InterventionRequest, MessageKind, RequestMessage
from tests.factories import POINT_IN_COMMUNE_1

PRIVATE = "Vu avec Mme Dupont, 06 12 34 56 78"


@pytest.fixture
def filed(world, potholes):
    request = do_file_request(
        acting_user=world.commune_user,
        category="potholes",
        description="Trou",
        lon=POINT_IN_COMMUNE_1[0],
        lat=POINT_IN_COMMUNE_1[1],
    )
    do_transition_request(request, "acknowledge", acting_user=world.ctc_agent)
    return request


def served(path):
    response = Client().get(path)
    assert response.status_code == 200
    return json.loads(response.content)


def test_status_notes_are_the_latest_public_message_not_a_rejection_reason(world, filed):
    acknowledged = RequestMessage.objects.get(request=filed, kind=MessageKind.ACKNOWLEDGED)
    do_transition_request(
        filed,
        "reject",
        acting_user=world.ctc_agent,
        reason=PRIVATE,
        fields={"turn_to": "M. Martin, 07 00 00"},
    )
    rejected = RequestMessage.objects.get(request=filed, kind=MessageKind.REJECTED)
    assert PRIVATE in rejected.body  # the commune is told, in its own views
    (item,) = served(f"/open311/v2/requests/{filed.reference}.json?extensions=true")
    assert item["status_notes"] == acknowledged.body
    assert item["status"] == "closed"
    everything = json.dumps(item, ensure_ascii=False)
    assert "Dupont" not in everything and "Martin" not in everything
    assert {note["kind"] for note in item["notes"]} == {"filed", "acknowledged"}
    (listed,) = [r for r in served("/open311/v2/requests.json") if r["service_request_id"] == filed.reference]
    assert listed["status_notes"] == acknowledged.body


def test_a_public_message_is_cut_to_the_documented_length(world, filed):
    RequestMessage.objects.create(request=filed, kind=MessageKind.PLANNED, body="x" * 1_000_000)
    (item,) = served(f"/open311/v2/requests/{filed.reference}.json?extensions=true")
    assert MAX_STATUS_NOTES == 500
    assert len(item["status_notes"]) == 500 and item["status_notes"].endswith("…")
    assert all(len(note["description"]) <= 500 for note in item["notes"])


def test_a_dvq_note_on_an_urgency_check_is_not_served(world, filed):
    RequestMessage.objects.create(request=filed, kind=MessageKind.URGENCY, body=f"Note de la DVQ : {PRIVATE}")
    RequestMessage.objects.create(request=filed, kind=MessageKind.WAITING, body=f"En attente : {PRIVATE}")
    (item,) = served(f"/open311/v2/requests/{filed.reference}.json?extensions=true")
    assert "Dupont" not in json.dumps(item, ensure_ascii=False)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_unknown_service_code_on_post_is_404_and_files_nothing(world, potholes, fmt):
    key = ApiToken.objects.create_for(world.commune_user, "open311")[1]
    before = (InterventionRequest.objects.count(), AuditEntry.objects.count(), OutboxEvent.objects.count())
    response = Client().post(
        f"/open311/v2/requests.{fmt}",
        {
            "api_key": key,
            "service_code": "unknown-service",
            "lat": str(POINT_IN_COMMUNE_1[1]),
            "long": str(POINT_IN_COMMUNE_1[0]),
        },
    )
    assert response.status_code == 404
    assert "unknown-service" in response.content.decode()
    assert (
        InterventionRequest.objects.count(),
        AuditEntry.objects.count(),
        OutboxEvent.objects.count(),
    ) == before


@pytest.mark.parametrize("name", ["start_date", "end_date", "updated_after", "updated_before"])
def test_a_date_without_a_time_zone_is_400_naming_the_parameter(world, potholes, name):
    response = Client().get(f"/open311/v2/requests.json?{name}=2026-03-01T00:00:00")
    assert response.status_code == 400
    (error,) = json.loads(response.content)
    assert error["code"] == 400
    assert error["description"] == (
        f"{name} doit indiquer un fuseau horaire (par exemple 2026-03-01T00:00:00+01:00 ou Z)."
    )
    with_zone = Client().get(f"/open311/v2/requests.json?{name}=2026-03-01T00:00:00Z")
    assert with_zone.status_code == 200
