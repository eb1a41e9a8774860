"""CLECT groups through the browser pages, their CSV / XLSX exports and the API: an administrator creates a
group and its members, the refusals show on the fields with nothing saved, the figures read alike in the
page, the exports and the API, and out of scope is 404."""

import io

import pytest
from django.test import Client
from openpyxl import load_workbook
from rest_framework.test import APIClient
from shapely.geometry import box

from api.models import ApiToken
from directory.models import Layer
from procedures.actions import do_file_request
from procedures.sectors import clect
from procedures.sectors.clect_models import ClectAuditEntry, ClectGroup, ClectMembership
from tests.factories import PASSWORD, make_perimeter

IN_SOUTH_WEST = (1.701, 48.981)


def logged(user):
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def api_for(user):
    client = APIClient()
    _token, key = ApiToken.objects.create_for(user, "test")
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def south_west(world):
    return make_perimeter(
        Layer.SUBSECTORS,
        box(1.7003, 48.9803, 1.7017, 48.9817),
        code="ss-sud-ouest",
        name="Sud-Ouest",
        commune=world.commune,
    )


@pytest.fixture
def group(sector_world, south_west, time_machine):
    """A group with Sud-Ouest since 2026-01-01 and two requests filed there in 2026."""
    world, lighting = sector_world[0], sector_world[4]
    admin = world.admin_user
    made = clect.do_create_clect_group(acting_user=admin, code="clect-val", name="Val")
    clect.do_add_clect_member(made, acting_user=admin, perimeter=south_west, starts_on="2026-01-01")
    for when in ("2026-02-10 10:00 +01:00", "2026-03-10 10:00 +01:00"):
        time_machine.move_to(when)
        do_file_request(
            acting_user=world.commune_user,
            category=lighting,
            description="Lampadaire éteint (fictif)",
            lon=IN_SOUTH_WEST[0],
            lat=IN_SOUTH_WEST[1],
        )
    time_machine.move_to("2026-06-01 10:00 +02:00")
    return made


def test_an_administrator_creates_a_group_on_the_page_and_a_bad_code_saves_nothing(world):
    admin = logged(world.admin_user)
    assert admin.get("/sector-procedures/clect-groups/").status_code == 200
    refused = admin.post("/sector-procedures/clect-groups/", {"code": "pas un code", "name": ""})
    assert refused.status_code == 400
    assert ClectGroup.objects.count() == 0 and ClectAuditEntry.objects.count() == 0
    created = admin.post(
        "/sector-procedures/clect-groups/", {"code": "clect-val", "name": "Val", "description": "Test"}
    )
    assert created.status_code == 302 and created["Location"] == "/sector-procedures/clect-groups/clect-val/"
    assert ClectGroup.objects.get().created_by == world.admin_user
    again = admin.post("/sector-procedures/clect-groups/", {"code": "clect-val", "name": "Autre"})
    assert again.status_code == 400 and "Un groupe CLECT a déjà ce code." in again.content.decode()
    commune = logged(world.commune_user)
    assert commune.post("/sector-procedures/clect-groups/", {"code": "x", "name": "X"}).status_code == 403
    assert ClectGroup.objects.count() == 1


def test_members_are_added_and_ended_on_the_page_and_a_clash_shows_on_the_field(world, south_west):
    admin_user = world.admin_user
    first = clect.do_create_clect_group(acting_user=admin_user, code="clect-val", name="Val")
    clect.do_create_clect_group(acting_user=admin_user, code="clect-autre", name="Autre")
    admin = logged(admin_user)
    page = "/sector-procedures/clect-groups/clect-val/"
    added = admin.post(page, {"add": "1", "add-perimeter": south_west.pk, "add-starts_on": "2026-01-01"})
    assert added.status_code == 302
    membership = ClectMembership.objects.get()
    assert membership.group == first and membership.ends_on is None
    before = ClectAuditEntry.objects.count()
    clash = admin.post(
        "/sector-procedures/clect-groups/clect-autre/",
        {"add": "1", "add-perimeter": south_west.pk, "add-starts_on": "2026-05-01"},
    )
    body = clash.content.decode()
    assert clash.status_code == 400 and "fait déjà partie du groupe CLECT « Val »" in body
    assert 'id="id_add-perimeter-errors"' in body  # on the field
    neither = admin.post(page, {"add": "1", "add-starts_on": "2026-05-01"})
    assert neither.status_code == 400 and "l&#x27;un des deux" in neither.content.decode()
    assert ClectMembership.objects.count() == 1 and ClectAuditEntry.objects.count() == before
    too_early = admin.post(page, {"end": membership.pk, f"end-{membership.pk}-ends_on": "2025-12-01"})
    assert too_early.status_code == 400 and "avant de commencer" in too_early.content.decode()
    ended = admin.post(page, {"end": membership.pk, f"end-{membership.pk}-ends_on": "2026-04-30"})
    assert ended.status_code == 302
    assert str(ClectMembership.objects.get().ends_on) == "2026-04-30"
    commune = logged(world.commune_user)  # sees the group (a perimeter of its commune), cannot change it
    assert commune.get(page).status_code == 200
    assert (
        commune.post(page, {"end": membership.pk, f"end-{membership.pk}-ends_on": "2026-05-30"}).status_code
        == 403
    )


def test_the_page_and_the_exports_show_the_year_s_figures_and_out_of_scope_is_404(world, group):
    commune = logged(world.commune_user)
    page = commune.get("/sector-procedures/clect-groups/clect-val/?year=2026")
    body = page.content.decode()
    assert page.status_code == 200 and "2 interventions en 2026 (0 terminée(s)), 0 heures passées." in body
    assert "Temps saisi pour 0 des 2 interventions." in body
    assert body.count("<td>non renseigné</td>") == 2  # by actor and by commune: not recorded, not 0
    assert commune.get("/sector-procedures/clect-groups/clect-val/?year=2025").status_code == 200
    assert commune.get("/sector-procedures/clect-groups/clect-val/?year=abc").status_code == 400
    csv = commune.get("/sector-procedures/clect-groups/clect-val/export.csv?year=2026")
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines == [
        "Année;Groupe CLECT;Commune;Intervenant;Organisation;Interventions;Réalisée;Heures passées;"
        "Demandes avec temps saisi",
        "2026;Val;Commune Une;CTC Un;Communauté urbaine;2;0;0,00;0",
    ]
    xlsx = commune.get("/sector-procedures/clect-groups/clect-val/export.xlsx?year=2026")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1] == (2026, "Val", "Commune Une", "CTC Un", "Communauté urbaine", 2, 0, 0, 0)
    assert commune.get("/sector-procedures/clect-groups/clect-val/export.pdf").status_code == 404
    other = logged(world.commune_2_user)
    assert other.get("/sector-procedures/clect-groups/clect-val/").status_code == 404
    assert other.get("/sector-procedures/clect-groups/clect-val/export.csv").status_code == 404
    assert "Val" not in other.get("/sector-procedures/clect-groups/").content.decode().split("<main")[-1]


def test_hours_recorded_on_some_requests_read_alike_in_the_page_the_exports_and_the_api(world, group):
    """CTC Un finishes one of its two requests and records 2,25 h: 2,25 h on 1 of 2 everywhere."""
    from procedures.actions import do_transition_request
    from procedures.models import InterventionRequest
    from procedures.sectors import means

    first = InterventionRequest.objects.order_by("pk").first()
    for code, fields in (
        ("acknowledge", {}),
        ("qualify", {}),
        ("start_work", {}),
        ("finish", {"resolution_note": "Lampe changée"}),
    ):
        do_transition_request(
            InterventionRequest.objects.get(pk=first.pk), code, acting_user=world.ctc_agent, fields=fields
        )
    means.do_record_time_spent(
        InterventionRequest.objects.get(pk=first.pk), acting_user=world.ctc_agent, hours="2,25"
    )
    commune = logged(world.commune_user)
    body = commune.get("/sector-procedures/clect-groups/clect-val/?year=2026").content.decode()
    assert "2 interventions en 2026 (1 terminée(s)), 2,25 heures passées." in body
    assert "Temps saisi pour 1 des 2 interventions." in body
    assert body.count('<td>2,25 <span class="muted">(saisi pour 1 sur 2)</span></td>') == 2
    assert "non renseigné" not in body
    csv = commune.get("/sector-procedures/clect-groups/clect-val/export.csv?year=2026")
    assert csv.content.decode("utf-8-sig").splitlines()[1] == (
        "2026;Val;Commune Une;CTC Un;Communauté urbaine;2;1;2,25;1"
    )
    xlsx = commune.get("/sector-procedures/clect-groups/clect-val/export.xlsx?year=2026")
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert rows[1][-3:] == (1, 2.25, 1)
    api = api_for(world.commune_user).get("/api/v1/sector-clect-groups/clect-val/figures/?year=2026").json()
    assert api["by_actor"][0]["hours"] == "2.25" and api["by_actor"][0]["time_recorded"] == 1


def test_the_api_lists_adds_ends_and_gives_the_figures_scoped(world, group, south_west, assert_queries):
    admin, commune, other = (
        api_for(world.admin_user),
        api_for(world.commune_user),
        api_for(world.commune_2_user),
    )
    base = "/api/v1/sector-clect-groups/"
    listed = commune.get(base)
    assert listed.status_code == 200 and [g["code"] for g in listed.json()["results"]] == ["clect-val"]
    assert other.get(base).json()["results"] == []
    assert other.get(base + "clect-val/").status_code == 404
    assert other.get(base + "clect-val/figures/").status_code == 404
    figures = commune.get(base + "clect-val/figures/?year=2026").json()
    assert figures["total"] == {"requests": 2, "done": 0, "hours": "0.00", "time_recorded": 0}
    assert figures["by_commune"] == [
        {"requests": 2, "done": 0, "hours": "0.00", "time_recorded": 0, "commune": "Commune Une"}
    ]
    assert figures["by_member"][0]["counted_from"] == "2026-01-01"
    assert commune.get(base + "clect-val/figures/?year=deux").status_code == 400
    assert commune.post(base, {"code": "x", "name": "X"}, format="json").status_code == 403
    created = admin.post(base, {"code": "clect-b", "name": "B"}, format="json")
    assert created.status_code == 201 and created.json()["members"] == []
    clash = admin.post(
        base + "clect-b/members/",
        {"layer": "subsectors", "perimeter": "ss-sud-ouest", "starts_on": "2026-06-01"},
        format="json",
    )
    assert clash.status_code == 400 and "perimeter" in clash.json()["errors"]
    membership = ClectMembership.objects.get(group=group)
    assert (
        commune.post(
            f"{base}clect-val/members/{membership.pk}/end/", {"ends_on": "2026-05-31"}, format="json"
        ).status_code
        == 403
    )
    ended = admin.post(
        f"{base}clect-val/members/{membership.pk}/end/", {"ends_on": "2026-05-31"}, format="json"
    )
    assert ended.status_code == 200 and ended.json()["members"][0]["ends_on"] == "2026-05-31"
    moved = admin.post(
        base + "clect-b/members/",
        {"layer": "subsectors", "perimeter": "ss-sud-ouest", "starts_on": "2026-06-01"},
        format="json",
    )
    assert moved.status_code == 201
    assert moved.json()["members"][0] | {"id": 0} == {
        "id": 0,
        "kind": "perimeter",
        "layer": "subsectors",
        "code": "ss-sud-ouest",
        "name": "Sud-Ouest",
        "starts_on": "2026-06-01",
        "ends_on": None,
    }
    unknown = admin.post(
        base + "clect-b/members/", {"perimeter": "ss-sud-ouest", "starts_on": "2026-06-01"}, format="json"
    )
    assert unknown.status_code == 400 and "couche" in unknown.json()["errors"]["perimeter"][0]
    for code in ("clect-c", "clect-d"):
        clect.do_create_clect_group(acting_user=world.admin_user, code=code, name=code)
    with assert_queries(5):  # token and user, count, groups, their members, their perimeters
        assert len(admin.get(base).json()["results"]) == 4


def test_the_admin_creates_groups_and_members_through_the_actions_and_shows_refusals(world, south_west):
    admin = logged(world.admin_user)
    inline = {
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    refused = admin.post("/admin/procedures/clectgroup/add/", {"code": "x y", "name": "", **inline})
    assert refused.status_code == 200 and ClectGroup.objects.count() == 0
    added = admin.post(
        "/admin/procedures/clectgroup/add/",
        {"code": "clect-admin", "name": "Par l'admin", "description": "", **inline},
    )
    assert added.status_code == 302, added.content.decode()[:2000]
    group = ClectGroup.objects.get(code="clect-admin")
    assert ClectAuditEntry.objects.filter(group=group, event="group_created").count() == 1
    fields = {"group": group.pk, "perimeter": south_west.pk, "starts_on": "2026-01-01"}
    assert admin.post("/admin/procedures/clectmembership/add/", fields).status_code == 302
    membership = ClectMembership.objects.get()
    other = clect.do_create_clect_group(acting_user=world.admin_user, code="clect-b", name="B")
    before = ClectAuditEntry.objects.count()
    clash = admin.post("/admin/procedures/clectmembership/add/", {**fields, "group": other.pk})
    assert clash.status_code == 200 and "fait déjà partie du groupe CLECT" in clash.content.decode()
    assert ClectMembership.objects.count() == 1 and ClectAuditEntry.objects.count() == before
    ended = admin.post(
        f"/admin/procedures/clectmembership/{membership.pk}/change/", {"ends_on": "2026-03-31"}
    )
    assert ended.status_code == 302
    assert str(ClectMembership.objects.get().ends_on) == "2026-03-31"
    assert ClectAuditEntry.objects.filter(event="member_ended").count() == 1
    renamed = admin.post(
        f"/admin/procedures/clectgroup/{group.pk}/change/",
        {
            "name": "Renommé",
            "description": "",
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "1",
            "memberships-MIN_NUM_FORMS": "0",
            "memberships-MAX_NUM_FORMS": "1000",
            "memberships-0-id": membership.pk,
            "memberships-0-group": group.pk,
        },
    )
    assert renamed.status_code == 302, renamed.content.decode()[:3000]
    assert ClectGroup.objects.get(pk=group.pk).name == "Renommé"
    assert ClectAuditEntry.objects.filter(event="group_changed").count() == 1
    assert admin.get("/admin/procedures/clectauditentry/").status_code == 200
