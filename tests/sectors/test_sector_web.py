"""The pages of the sub-sector procedures: list, one procedure (map data, split table), the partner's
inbox and its answers; out of scope is 404."""

import json

from django.test import Client

from procedures.sectors.models import SectorApproval, SectorVersion
from tests.factories import PASSWORD


def logged(user):
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_a_partner_sees_the_procedure_its_split_table_and_its_map_data(active):
    client = logged(active.world.commune_user)
    page = client.get("/sector-procedures/")
    assert page.status_code == 200 and "Secteur nord du Val" in page.content.decode()
    detail = client.get("/sector-procedures/vf-nord/").content.decode()
    assert (
        "Balayage deux fois par semaine" in detail and "Parking" in detail and "Équipe de la régie" in detail
    )
    data = client.get("/sector-procedures/vf-nord/map.geojson").json()
    assert [f["properties"]["layer"] for f in data["features"]] == ["subsectors", "zones"]
    assert "Encombrants → CTC Un" in data["features"][1]["properties"]["unit"]


def test_a_user_of_another_organisation_gets_404(active):
    client = logged(active.world.commune_2_user)
    assert client.get("/sector-procedures/vf-nord/").status_code == 404
    assert client.get("/sector-procedures/vf-nord/map.geojson").status_code == 404
    assert "Secteur nord du Val" not in client.get("/sector-procedures/").content.decode()


def test_a_partner_approves_from_its_inbox_and_a_request_for_changes_needs_a_comment(draft):
    from procedures.sectors import approvals

    approvals.do_submit_sector_version(draft.version, acting_user=draft.world.admin_user)
    landlord = logged(draft.world.landlord_agent)
    inbox = landlord.get("/sector-procedures/inbox/").content.decode()
    task = SectorApproval.objects.get(partner__organisation=draft.world.landlord)
    assert f"approval-{task.pk}" in inbox
    refused = landlord.post(f"/sector-procedures/approvals/{task.pk}/", {"answer": "changes", "comment": ""})
    assert refused.status_code == 400 and "Indiquez ce qui doit changer" in refused.content.decode()
    assert SectorApproval.objects.get(pk=task.pk).state == "pending"
    other = SectorApproval.objects.get(partner__organisation=draft.world.commune)
    assert (
        landlord.post(f"/sector-procedures/approvals/{other.pk}/", {"answer": "approve"}).status_code == 403
    )
    done = landlord.post(f"/sector-procedures/approvals/{task.pk}/", {"answer": "approve", "comment": "OK"})
    assert done.status_code == 302
    assert SectorApproval.objects.get(pk=task.pk).state == "approved"
    assert SectorVersion.objects.get(pk=draft.version.pk).status == "in_approval"


def test_an_administrator_creates_a_procedure_with_its_perimeter_and_a_bad_perimeter_saves_nothing(
    sector_world,
):
    from procedures.sectors.models import SectorAuditEntry, SectorProcedure

    world = sector_world[0]
    admin = logged(world.admin_user)
    assert admin.get("/sector-procedures/new/").status_code == 200
    assert logged(world.commune_user).get("/sector-procedures/new/").status_code == 403
    fields = {
        "code": "web-sector",
        "title": "Secteur créé en ligne",
        "starts_on": "2026-03-02",
        "evaluation_month": "3",
        "referents": [world.landlord_agent.pk, world.commune_user.pk],
    }
    ring = [[1.703, 48.983], [1.71, 48.99], [1.71, 48.983], [1.703, 48.99], [1.703, 48.983]]
    bowtie = json.dumps({"type": "Polygon", "coordinates": [ring]})
    refused = admin.post("/sector-procedures/new/", {**fields, "geometry": bowtie})
    assert refused.status_code == 400 and "se recoupe" in refused.content.decode()
    assert SectorProcedure.objects.count() == 0 and SectorAuditEntry.objects.count() == 0
    ring = [[1.703, 48.983], [1.71, 48.983], [1.71, 48.99], [1.703, 48.99], [1.703, 48.983]]
    square = json.dumps({"type": "Polygon", "coordinates": [ring]})
    created = admin.post("/sector-procedures/new/", {**fields, "geometry": square})
    assert created.status_code == 302 and created["Location"].endswith("/sector-procedures/web-sector/")
    version = SectorProcedure.objects.get(code="web-sector").versions.get()
    assert version.area_m2 > 0 and version.delegated_manager == world.landlord
    assert sorted(p.organisation.code for p in version.partners.all()) == ["commune-1", "landlord"]
