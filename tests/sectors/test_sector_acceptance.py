"""The whole life of a sub-sector procedure, through the action layer and the API, time controlled:
created with its perimeter, zones, split, régie and overrides; three partners approve in parallel (one
after a reminder); it becomes active; requests inside follow its split and procedure; a year passes; the
evaluation opens with its figures; "adjust" opens version 2, approved and effective at its date; running
requests keep version 1."""

import datetime

from rest_framework.test import APIClient

from api.models import ApiToken
from engine.models import OutboxEvent
from procedures.actions import do_file_request, do_transition_request
from procedures.models import InterventionRequest
from procedures.sectors import actions, approvals, evaluations
from procedures.sectors.models import SectorAuditEntry, SectorEvaluation, SectorVersion
from tests.sectors.conftest import CAR_PARK, PERIMETER, geojson

IN_SECTOR = (1.716, 48.996)
IN_CAR_PARK = (1.704, 48.984)


def client_for(user):
    client = APIClient()
    _token, key = ApiToken.objects.create_for(user, "test")
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def file(world, category, point, description="Tags sur le mur (fictif)"):
    return do_file_request(
        acting_user=world.commune_user, category=category, description=description, lon=point[0], lat=point[1]
    )


def test_the_whole_life_of_a_sub_sector_procedure(sector_world, time_machine):
    world, _group, bulky, tags, _lighting, regie_unit, regie_user, variant = sector_world
    time_machine.move_to("2026-01-05 09:00 +01:00")
    admin = client_for(world.admin_user)
    base = "/api/v1/sector-procedures/"

    # an administrator creates the draft with its perimeter, zones, split, régie and overrides
    response = admin.post(
        base,
        {
            "code": "vf-nord",
            "title": "Secteur nord du Val",
            "description": "Gestion partagée (fictif)",
            "starts_on": "2026-01-05",
            "evaluation_month": 1,
            "partners": [
                {"organisation": "landlord", "referent": "landlord", "role": "Bailleur"},
                {"organisation": "commune-1", "referent": "commune", "role": "Commune"},
                {"organisation": "cu", "referent": "ctc-lead", "role": "CTC"},
            ],
            "intervention_procedure": "intervention-request-caretaker-check",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    v1 = f"{base}vf-nord/versions/1/"
    assert admin.post(v1 + "perimeter/", {"geometry": geojson(PERIMETER)}, format="json").status_code == 200
    assert (
        admin.post(
            v1 + "zones/", {"name": "Parking", "geometry": geojson(CAR_PARK)}, format="json"
        ).status_code
        == 201
    )
    for row in (
        {"category_group": "cleanliness", "unit": "regie-team", "what": "Balayage deux fois par semaine"},
        {"category": "bulky", "zone": "Parking", "unit": "ctc-1", "what": "Enlèvement"},
    ):
        assert admin.post(v1 + "split/", row, format="json").status_code == 201
    response = admin.post(
        v1 + "pooled-means/",
        {
            "organisation": "regie",
            "unit": "regie-team",
            "yearly_capacity": "10",
            "categories": ["tags"],
            "funding": {"landlord": "50", "cu": "30,5", "commune-1": "19,5"},
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert (
        admin.post(
            v1 + "overrides/",
            {"category": "tags", "acknowledge_hours": 4, "resolve_hours": 16},
            format="json",
        ).status_code
        == 201
    )
    detail = admin.get(base + "vf-nord/").json()
    version = detail["versions"][0]
    assert version["perimeter"]["properties"]["delegated_manager"] == "landlord"
    assert {c["category"]: c["status"] for c in version["coverage"]} == {
        "bulky": "split",
        "tags": "split",
        "lighting": "fallback",
    }
    assert admin.post(v1 + "submit/").status_code == 200

    # the three partners approve in parallel; one only after the reminder
    landlord, commune, ctc_lead = (
        client_for(world.landlord_agent),
        client_for(world.commune_user),
        client_for(world.ctc_lead),
    )
    mine = landlord.get("/api/v1/sector-approvals/?mine=1").json()["results"]
    assert len(mine) == 1
    assert commune.post(f"/api/v1/sector-approvals/{mine[0]['id']}/approve/").status_code == 403
    assert (
        landlord.post(f"/api/v1/sector-approvals/{mine[0]['id']}/approve/", {"comment": "OK"}).status_code
        == 200
    )
    commune_task = commune.get("/api/v1/sector-approvals/?mine=1").json()["results"][0]["id"]
    assert commune.post(f"/api/v1/sector-approvals/{commune_task}/approve/").status_code == 200
    time_machine.move_to("2026-01-16 09:00 +01:00")
    assert approvals.send_due_reminders() == 1
    assert approvals.send_due_reminders() == 0  # once
    reminder = OutboxEvent.objects.get(kind="sector.approval_reminder")
    assert reminder.payload["user"] == world.ctc_lead.pk
    ctc_task = ctc_lead.get("/api/v1/sector-approvals/?mine=1").json()["results"][0]["id"]
    assert ctc_lead.post(f"/api/v1/sector-approvals/{ctc_task}/approve/").status_code == 200
    first = SectorVersion.objects.get(procedure__code="vf-nord", number=1)
    assert first.status == "active"
    assert SectorAuditEntry.objects.filter(event="version_activated").count() == 1

    # requests inside follow its split and its procedure; the resolver says so
    resolved = commune.get(
        f"/api/v1/routing/resolve/?lon={IN_SECTOR[0]}&lat={IN_SECTOR[1]}&category=tags"
    ).json()
    assert resolved["handler"]["code"] == "regie-team"
    assert resolved["sector"]["procedure"] == "Secteur nord du Val" and resolved["sector"]["version"] == 1
    assert resolved["explanation"][0]["decided"] is True
    tagged = file(world, tags, IN_SECTOR)
    in_car_park = file(world, bulky, IN_CAR_PARK, "Canapé sur le parking (fictif)")
    assert tagged.handler_unit == regie_unit and tagged.sector_version == first
    assert in_car_park.handler_unit == world.ctc
    assert tagged.case.version == variant

    # the régie works, the caretaker checks, the time spent is recorded
    for code, fields in (
        ("acknowledge", {}),
        ("qualify", {}),
        ("report_work", {"resolution_note": "Tags effacés"}),
        ("finish", {"resolution_note": "Contrôlé par le gardien"}),
    ):
        tagged = do_transition_request(
            InterventionRequest.objects.get(pk=tagged.pk), code, acting_user=regie_user, fields=fields
        )
    tagged = InterventionRequest.objects.get(pk=tagged.pk)
    assert tagged.resolved_at is not None
    response = client_for(regie_user).post(
        f"{base}time-spent/{tagged.reference}/", {"hours": "8,5"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["warning"] == "80"
    assert OutboxEvent.objects.filter(kind="sector.pooled_means_warning").count() == 1

    # a year passes: the evaluation opens with the figures beside the year before
    time_machine.move_to("2027-01-04 09:00 +01:00")
    assert evaluations.open_due_evaluations() == 1
    assert evaluations.open_due_evaluations() == 0
    evaluation = SectorEvaluation.objects.get()
    shown = commune.get(f"/api/v1/sector-evaluations/{evaluation.pk}/").json()
    assert shown["figures"]["year"]["requests"] == 2
    assert shown["figures"]["year"]["by_actor"] == {"CTC Un": 1, "Équipe de la régie": 1}
    assert shown["figures"]["year"]["pooled_means"][0]["used"] == "8.50"
    assert shown["figures"]["before"]["requests"] == 0
    assert (
        commune.post(f"/api/v1/sector-evaluations/{evaluation.pk}/opinions/", {"text": "Mieux."}).status_code
        == 201
    )

    # running requests: one still open at the decision
    running = file(world, tags, IN_SECTOR, "Tags encore (fictif)")
    assert running.sector_version == first
    response = admin.post(
        f"/api/v1/sector-evaluations/{evaluation.pk}/decision/",
        {"decision": "adjust", "note": "Ajouter le parking", "effective_from": "2027-02-01"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["new_version"] == 2
    again = admin.post(
        f"/api/v1/sector-evaluations/{evaluation.pk}/decision/", {"decision": "end"}, format="json"
    )
    assert again.status_code == 400 and "decision" in again.json()["errors"]
    second = SectorVersion.objects.get(procedure__code="vf-nord", number=2)
    actions.do_add_service_level_override(
        second, acting_user=world.admin_user, category=bulky, acknowledge_hours=2, resolve_hours=8
    )
    assert admin.post(f"{base}vf-nord/versions/2/submit/").status_code == 200
    from tests.sectors.conftest import approve_all

    approve_all(second)
    assert second.status == "active" and second.effective_from == datetime.date(2027, 2, 1)
    before_date = file(world, tags, IN_SECTOR, "Avant la date (fictif)")
    assert before_date.sector_version == first  # version 2 is not in force yet

    time_machine.move_to("2027-02-02 09:00 +01:00")
    assert actions.end_superseded_versions() == 1
    after = file(world, tags, IN_SECTOR, "Après la date (fictif)")
    assert after.sector_version == second
    running.refresh_from_db()
    assert running.sector_version == first  # running requests keep version 1
    first.refresh_from_db()
    assert first.status == "ended"
