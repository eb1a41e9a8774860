"""GET/POST /api/v1/requests/{id}/shares/ and DELETE .../shares/{user_id}/: one-off read-only shares."""

import datetime
from zoneinfo import ZoneInfo

from engine.models import AuditEntry, OutboxEvent
from procedures import actions
from procedures.models import InterventionRequest
from tests.factories import POINT_IN_COMMUNE_1, make_user

PARIS = ZoneInfo("Europe/Paris")
MONDAY_9 = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=PARIS)


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


def written():
    return AuditEntry.objects.count(), OutboxEvent.objects.count()


def listed_ids(client):
    return [row["id"] for row in client.get("/api/v1/requests/").json()["results"]]


def test_a_shared_request_is_404_before_200_while_shared_and_404_again_after(
    as_user, world, potholes, time_machine
):
    time_machine.move_to(MONDAY_9, tick=False)
    request = filed(as_user, world)
    world.landlord_agent.first_name, world.landlord_agent.last_name = "Léa", "Martin"
    world.landlord_agent.save(update_fields=["first_name", "last_name"])
    ctc, landlord = as_user(world.ctc_agent), as_user(world.landlord_agent)
    detail = f"/api/v1/requests/{request.pk}/"
    assert landlord.get(detail).status_code == 404
    assert request.pk not in listed_ids(landlord)

    shared = ctc.post(f"{detail}shares/", {"user": "landlord", "reason": "Visite"}, format="json")
    assert shared.status_code == 201, shared.json()
    assert shared.json() == {
        "id": world.landlord_agent.pk,
        "username": "landlord",
        "full_name": "Léa Martin",
        "organisation": "Bailleur",
        "granted_at": "2026-03-02T09:00:00+01:00",
        "granted_by": "ctc",
    }
    entry = AuditEntry.objects.get(case_id=request.case_id, event="shared")
    assert (entry.actor, entry.reason, entry.data["user"]) == (
        world.ctc_agent,
        "Visite",
        world.landlord_agent.pk,
    )
    assert OutboxEvent.objects.filter(case_id=request.case_id, kind="case.shared").count() == 1
    listing = ctc.get(f"{detail}shares/")
    assert listing.status_code == 200
    assert [row["username"] for row in listing.json()["results"]] == ["landlord"]

    read = landlord.get(detail)
    assert read.status_code == 200
    assert read.json()["available_transitions"] == []  # read only
    assert landlord.get(f"{detail}history/").status_code == 200
    assert listed_ids(landlord) == [request.pk]
    # The shared user holds no role: no step, no comment.
    fired = landlord.post(f"{detail}transitions/acknowledge/", {}, format="json")
    assert fired.status_code == 403 and fired.json()["code"] == "role_not_allowed"
    assert landlord.post(f"{detail}comments/", {"body": "Vu"}, format="json").status_code == 403

    removed = ctc.delete(f"{detail}shares/{world.landlord_agent.pk}/?reason=Fini")
    assert removed.status_code == 204
    entry = AuditEntry.objects.get(case_id=request.case_id, event="unshared")
    assert (entry.actor, entry.reason) == (world.ctc_agent, "Fini")
    assert OutboxEvent.objects.filter(case_id=request.case_id, kind="case.unshared").count() == 1
    assert landlord.get(detail).status_code == 404
    assert request.pk not in listed_ids(landlord)
    assert ctc.get(f"{detail}shares/").json()["results"] == []


def test_sharing_again_answers_200_and_writes_nothing(as_user, world, potholes):
    request = filed(as_user, world)
    ctc = as_user(world.ctc_agent)
    url = f"/api/v1/requests/{request.pk}/shares/"
    assert ctc.post(url, {"user": str(world.commune_2_user.pk)}, format="json").status_code == 201
    before = written()
    again = ctc.post(url, {"user": "commune-2"}, format="json")
    assert again.status_code == 200 and again.json()["username"] == "commune-2"
    assert written() == before


def test_the_requester_and_the_shared_user_get_403_and_outsiders_404(as_user, world, potholes):
    request = filed(as_user, world)
    url = f"/api/v1/requests/{request.pk}/shares/"
    assert as_user(world.ctc_agent).post(url, {"user": "landlord"}, format="json").status_code == 201
    before = written()
    for user in (world.commune_user, world.landlord_agent):
        client = as_user(user)
        refused = client.post(url, {"user": "commune-2"}, format="json")
        assert refused.status_code == 403 and refused.json()["code"] == "role_not_allowed"
        assert client.get(url).status_code == 403
        assert client.delete(f"{url}{world.landlord_agent.pk}/").status_code == 403
    outsider = as_user(world.commune_2_user)
    assert outsider.post(url, {"user": "waste"}, format="json").status_code == 404
    assert outsider.get(url).status_code == 404
    assert outsider.delete(f"{url}{world.landlord_agent.pk}/").status_code == 404
    assert written() == before


def test_bad_input_is_a_400_naming_the_user_field(as_user, world, potholes):
    request = filed(as_user, world)
    url = f"/api/v1/requests/{request.pk}/shares/"
    ctc = as_user(world.ctc_agent)
    inactive = make_user(world.landlord, username="parti", is_active=False)
    before = written()
    cases = [
        ({}, "Ce champ est obligatoire."),
        (
            {"user": "nobody"},
            "Utilisateur inconnu : indiquez l'identifiant de connexion ou l'identifiant d'un "
            "utilisateur actif.",
        ),
        ({"user": "99999999999999999999"}, None),
        (
            {"user": inactive.username},
            "Utilisateur inconnu : indiquez l'identifiant de connexion ou l'identifiant d'un "
            "utilisateur actif.",
        ),
        ({"user": "ctc"}, "Vous ne pouvez pas partager un dossier avec vous-même."),
    ]
    for body, message in cases:
        response = ctc.post(url, body, format="json")
        assert response.status_code == 400, (body, response.json())
        assert response.json()["status"] == 400 and list(response.json()["errors"]) == ["user"]
        if message:
            assert response.json()["errors"]["user"] == [message]
    missing = ctc.delete(f"{url}{world.waste_agent.pk}/")
    assert missing.status_code == 400
    assert missing.json()["errors"]["user"] == ["Cette demande n'est pas partagée avec cette personne."]
    unknown = ctc.delete(f"{url}99999999999999999999/")
    assert unknown.status_code == 400 and unknown.json()["errors"] == missing.json()["errors"]
    assert written() == before


def fire(client, request, code, fields=None):
    response = client.post(
        f"/api/v1/requests/{request.pk}/transitions/{code}/", {"fields": fields or {}}, format="json"
    )
    assert response.status_code == 200, response.json()
    return response.json()["state"]


def test_once_closed_the_agent_who_shared_lists_and_takes_it_back_and_another_agent_gets_403(
    as_user, world, potholes, time_machine
):
    time_machine.move_to(MONDAY_9, tick=False)
    request = filed(as_user, world)
    ctc, lead = as_user(world.ctc_agent), as_user(world.ctc_lead)
    url = f"/api/v1/requests/{request.pk}/shares/"
    assert ctc.post(url, {"user": "landlord", "reason": "Visite"}, format="json").status_code == 201
    actions.do_share_request(request, "commune-2", acting_user=None)  # the system
    listing = lead.get(url)
    assert listing.status_code == 200  # ctc_lead may act on it now
    assert [(row["username"], row["granted_by"]) for row in listing.json()["results"]] == [
        ("commune-2", None),
        ("landlord", "ctc"),
    ]
    time_machine.move_to(MONDAY_9 + datetime.timedelta(days=1), tick=False)
    fire(ctc, request, "qualify")
    fire(ctc, request, "finish", {"resolution_note": "Rebouché"})
    assert fire(as_user(world.commune_user), request, "confirm") == "closed"

    before = written()
    # Nobody on the CTC's side may share now; ctc_lead, of the same unit, granted nothing: 403.
    refused = ctc.post(url, {"user": "waste"}, format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "role_not_allowed"
    assert lead.get(url).status_code == 403
    refused = lead.delete(f"{url}{world.landlord_agent.pk}/")
    assert refused.status_code == 403 and refused.json()["code"] == "role_not_allowed"
    assert ctc.delete(f"{url}{world.commune_2_user.pk}/").status_code == 403  # granted by the system
    assert written() == before

    listing = ctc.get(url)  # the agent who shared still sees the list, granters named
    assert listing.status_code == 200
    assert [(row["username"], row["granted_by"]) for row in listing.json()["results"]] == [
        ("commune-2", None),
        ("landlord", "ctc"),
    ]
    assert ctc.delete(f"{url}{world.landlord_agent.pk}/?reason=Fini").status_code == 204
    entry = AuditEntry.objects.get(case_id=request.case_id, event="unshared")
    assert (entry.actor, entry.reason, entry.from_state, entry.data["user"]) == (
        world.ctc_agent,
        "Fini",
        "closed",
        world.landlord_agent.pk,
    )
    assert as_user(world.landlord_agent).get(f"/api/v1/requests/{request.pk}/").status_code == 404
    # Their only share taken back, the list is closed to them too.
    assert ctc.get(url).status_code == 403
    # An outsider still gets 404.
    assert as_user(world.waste_agent).delete(f"{url}{world.commune_2_user.pk}/").status_code == 404
