"""POST /api/v1/requests/{id}/assign/: put an agent in charge (username or id), at any open stage."""

from engine.models import AuditEntry, OutboxEvent
from procedures.models import InterventionRequest
from tests.factories import POINT_IN_COMMUNE_1


def filed(as_user, world):
    response = as_user(world.commune_user).post(
        "/api/v1/requests/",
        {
            "category": "potholes",
            "description": "Trou",
            "lon": POINT_IN_COMMUNE_1[0],
            "lat": POINT_IN_COMMUNE_1[1],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    return InterventionRequest.objects.get(pk=response.json()["id"])


def test_the_supervisor_assigns_an_agent_by_username_then_by_id(as_user, world, potholes):
    request = filed(as_user, world)
    lead = as_user(world.ctc_lead)
    fired = lead.post(f"/api/v1/requests/{request.pk}/transitions/qualify/", {}, format="json")
    assert fired.status_code == 200, fired.json()
    response = lead.post(f"/api/v1/requests/{request.pk}/assign/", {"agent": "ctc"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "qualified"
    request.refresh_from_db()
    assert request.handler_agent == world.ctc_agent
    assert (
        AuditEntry.objects.filter(
            case_id=request.case_id, event="role_assigned", actor=world.ctc_lead
        ).count()
        == 1
    )
    assert OutboxEvent.objects.filter(case_id=request.case_id, kind="case.role_assigned").count() == 1
    by_id = lead.post(
        f"/api/v1/requests/{request.pk}/assign/", {"agent": str(world.ctc_lead.pk)}, format="json"
    )
    assert by_id.status_code == 200
    request.refresh_from_db()
    assert request.handler_agent == world.ctc_lead


def test_it_answers_400_403_and_404_naming_what_is_wrong(as_user, world, potholes):
    request = filed(as_user, world)
    url = f"/api/v1/requests/{request.pk}/assign/"
    lead = as_user(world.ctc_lead)
    before = AuditEntry.objects.count()
    missing = lead.post(url, {}, format="json")
    assert missing.status_code == 400 and "agent" in missing.json()["errors"]
    unknown = lead.post(url, {"agent": "nobody"}, format="json")
    assert unknown.status_code == 400 and "agent" in unknown.json()["errors"]
    outside = lead.post(url, {"agent": world.waste_agent.username}, format="json")
    assert outside.status_code == 400 and "agent" in outside.json()["errors"]
    assert as_user(world.commune_user).post(url, {"agent": "ctc"}, format="json").status_code == 403
    assert as_user(world.commune_2_user).post(url, {"agent": "ctc"}, format="json").status_code == 404
    request.refresh_from_db()
    assert request.handler_agent is None and AuditEntry.objects.count() == before
