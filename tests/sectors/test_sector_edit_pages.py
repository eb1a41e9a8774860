"""The administrators' editing pages of a sub-sector procedure: zones, split rows, pooled means and overrides
added (and zones and rows removed) through the actions, each refusal on its field with nothing saved;
sending the draft for approval; opening a new version from the procedure's page; 403 for others, 404 out
of scope."""

import pytest
from django.test import Client
from shapely.geometry import box

from procedures.sectors.models import (
    PooledMeans,
    SectorAuditEntry,
    SectorSplitRow,
    SectorVersion,
    SectorZone,
    ServiceLevelOverride,
)
from tests.factories import PASSWORD
from tests.sectors.conftest import geojson

EDIT = "/sector-procedures/vf-nord/versions/1/edit/"
INSIDE = box(1.710, 48.990, 1.712, 48.992)
OUTSIDE = box(1.719, 48.990, 1.725, 48.992)


def logged(user):
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def counts():
    return (
        SectorZone.objects.count(),
        SectorSplitRow.objects.count(),
        PooledMeans.objects.count(),
        ServiceLevelOverride.objects.count(),
        SectorAuditEntry.objects.count(),
    )


@pytest.fixture
def admin(draft):
    return logged(draft.world.admin_user)


def test_only_administrators_edit_and_out_of_scope_is_404(draft, admin):
    assert admin.get(EDIT).status_code == 200
    assert logged(draft.world.commune_user).get(EDIT).status_code == 403
    assert logged(draft.world.commune_2_user).get(EDIT).status_code == 404
    assert admin.get("/sector-procedures/vf-nord/versions/9/edit/").status_code == 404
    before = counts()
    posted = logged(draft.world.commune_user).post(
        EDIT, {"form": "zone", "zone-name": "Jardin", "zone-geometry": str(geojson(INSIDE))}
    )
    assert posted.status_code == 403 and counts() == before


def test_a_zone_is_added_on_the_page_and_one_outside_the_perimeter_is_refused_on_its_field(draft, admin):
    import json

    before = counts()
    refused = admin.post(
        EDIT, {"form": "zone", "zone-name": "Dehors", "zone-geometry": json.dumps(geojson(OUTSIDE))}
    )
    body = refused.content.decode()
    assert refused.status_code == 400 and 'id="id_zone-geometry-errors"' in body
    assert "La zone déborde du périmètre de la procédure." in body
    assert counts() == before
    added = admin.post(
        EDIT, {"form": "zone", "zone-name": "Jardin", "zone-geometry": json.dumps(geojson(INSIDE))}
    )
    assert added.status_code == 302 and added["Location"].endswith("#zone-title")
    zone = SectorZone.objects.get(name="Jardin")
    assert SectorAuditEntry.objects.filter(event="zone_added").count() == 2  # the fixture's car park too
    removed = admin.post(EDIT, {"form": "zone-remove", "zone": zone.pk})
    assert removed.status_code == 302 and not SectorZone.objects.filter(name="Jardin").exists()
    assert SectorAuditEntry.objects.filter(event="zone_removed").count() == 1


def test_a_split_row_for_a_unit_without_people_is_refused_on_the_unit(draft, admin):
    world = draft.world
    before = counts()
    refused = admin.post(
        EDIT, {"form": "split", "split-category": draft.lighting.pk, "split-unit": world.ctc_2.pk}
    )
    body = refused.content.decode()
    assert refused.status_code == 400 and 'id="id_split-unit-errors"' in body
    assert "CTC Deux n&#x27;a personne pour intervenir" in body
    both = admin.post(
        EDIT,
        {
            "form": "split",
            "split-category": draft.lighting.pk,
            "split-category_group": draft.cleanliness.pk,
            "split-unit": world.ctc.pk,
        },
    )
    assert both.status_code == 400 and 'id="id_split-category-errors"' in both.content.decode()
    season = admin.post(
        EDIT,
        {
            "form": "split",
            "split-category": draft.lighting.pk,
            "split-unit": world.ctc.pk,
            "split-season_start": "06-01",
        },
    )
    assert season.status_code == 400 and 'id="id_split-season_end-errors"' in season.content.decode()
    assert counts() == before
    added = admin.post(
        EDIT,
        {
            "form": "split",
            "split-category": draft.lighting.pk,
            "split-zone": draft.car_park.pk,
            "split-unit": world.ctc.pk,
            "split-what": "Réparation des lampadaires du parking",
        },
    )
    assert added.status_code == 302
    row = SectorSplitRow.objects.get(what="Réparation des lampadaires du parking")
    assert (row.category, row.zone, row.unit) == (draft.lighting, draft.car_park, world.ctc)
    assert admin.post(EDIT, {"form": "split-remove", "row": row.pk}).status_code == 302
    assert not SectorSplitRow.objects.filter(pk=row.pk).exists()


def test_pooled_means_whose_shares_do_not_add_up_to_100_are_refused_on_the_shares(draft, admin):
    world = draft.world
    fields = {
        "form": "means",
        "means-organisation": world.contractor.pk,
        "means-unit": draft.regie_unit.pk,
        "means-yearly_capacity": "800,5",
        "means-capacity_unit": "hours",
        "means-categories": [draft.tags.pk],
        f"means-funding_{world.landlord.pk}": "50",
        f"means-funding_{world.cu.pk}": "40",
    }
    before = counts()
    refused = admin.post(EDIT, fields)
    body = refused.content.decode()
    assert refused.status_code == 400 and "totalisent 90 %, et non 100 %" in body
    assert f'id="id_means-funding_{world.landlord.pk}-errors"' in body  # on the first share
    assert counts() == before
    added = admin.post(EDIT, {**fields, f"means-funding_{world.commune.pk}": "10"})
    assert added.status_code == 302
    means = PooledMeans.objects.exclude(yearly_capacity=1200).get()
    assert str(means.yearly_capacity) == "800.50"
    assert {s.organisation.code: str(s.share_pct) for s in means.funding.all()} == {
        "landlord": "50.00",
        "cu": "40.00",
        "commune-1": "10.00",
    }
    # removed from the draft with its shares, audited
    assert f'name="means" value="{means.pk}"' in admin.get(EDIT).content.decode()
    assert admin.post(EDIT, {"form": "means-remove", "means": means.pk}).status_code == 302
    assert not PooledMeans.objects.filter(pk=means.pk).exists()
    assert SectorAuditEntry.objects.filter(event="pooled_means_removed").count() == 1
    assert admin.post(EDIT, {"form": "means-remove", "means": means.pk}).status_code == 404


def test_an_override_with_a_resolve_target_shorter_than_acknowledge_is_refused_on_it(draft, admin):
    before = counts()
    refused = admin.post(
        EDIT, {"form": "override", "override-acknowledge_hours": "8", "override-resolve_hours": "4"}
    )
    assert refused.status_code == 400 and 'id="id_override-resolve_hours-errors"' in refused.content.decode()
    assert counts() == before
    added = admin.post(
        EDIT,
        {
            "form": "override",
            "override-category": draft.bulky.pk,
            "override-urgency": "urgent",
            "override-acknowledge_hours": "2",
            "override-resolve_hours": "8",
        },
    )
    assert added.status_code == 302
    override = ServiceLevelOverride.objects.get(category=draft.bulky, urgency="urgent", resolve_hours=8)
    assert admin.post(EDIT, {"form": "override-remove", "override": override.pk}).status_code == 302
    assert not ServiceLevelOverride.objects.filter(pk=override.pk).exists()
    [removed] = SectorAuditEntry.objects.filter(event="override_removed").values_list("data", flat=True)
    assert removed["resolve_hours"] == 8 and removed["category"] == draft.bulky.code


def test_the_draft_is_sent_for_approval_and_then_no_longer_changes(draft, admin):
    sent = admin.post(EDIT, {"form": "submit"})
    assert sent.status_code == 302 and sent["Location"] == "/sector-procedures/vf-nord/"
    assert SectorVersion.objects.get(pk=draft.version.pk).status == "in_approval"
    before = counts()
    import json

    late = admin.post(
        EDIT, {"form": "zone", "zone-name": "Tard", "zone-geometry": json.dumps(geojson(INSIDE))}
    )
    assert late.status_code == 400 and "Seule une version brouillon" in late.content.decode()
    for form, name, row in (
        ("means-remove", "means", draft.version.pooled_means.first()),
        ("override-remove", "override", draft.version.overrides.first()),
    ):
        refused = admin.post(EDIT, {"form": form, name: row.pk})  # nor removed from a version in approval
        assert refused.status_code == 400 and "Seule une version brouillon" in refused.content.decode()
    assert counts() == before


def test_a_new_version_is_opened_from_the_procedure_s_page(active, time_machine):
    time_machine.move_to("2026-12-01 10:00 +01:00")
    admin = logged(active.world.admin_user)
    page = admin.get("/sector-procedures/vf-nord/").content.decode()
    assert 'id="open-version"' in page
    assert (
        'id="open-version"'
        not in logged(active.world.commune_user).get("/sector-procedures/vf-nord/").content.decode()
    )
    refused = admin.post("/sector-procedures/vf-nord/versions/", {"open-effective_from": "2026-01-01"})
    body = refused.content.decode()
    assert refused.status_code == 400 and 'id="id_open-effective_from-errors"' in body
    assert "ne peut pas prendre effet dans le passé" in body
    assert SectorVersion.objects.filter(procedure__code="vf-nord").count() == 1
    opened = admin.post(
        "/sector-procedures/vf-nord/versions/",
        {"open-effective_from": "2027-02-01", "open-reason": "Parking"},
    )
    assert opened.status_code == 302 and opened["Location"] == "/sector-procedures/vf-nord/versions/2/edit/"
    second = SectorVersion.objects.get(procedure__code="vf-nord", number=2)
    assert second.status == "draft" and second.zones.count() == 1 and second.split_rows.count() == 2
    assert "Modifier la version brouillon 2" in admin.get("/sector-procedures/vf-nord/").content.decode()
    assert admin.get("/sector-procedures/vf-nord/versions/2/edit/").status_code == 200
    again = admin.post("/sector-procedures/vf-nord/versions/", {"open-effective_from": "2027-03-01"})
    assert again.status_code == 400 and "déjà en préparation" in again.content.decode()
    assert (
        logged(active.world.commune_user)
        .post("/sector-procedures/vf-nord/versions/", {"open-effective_from": "2027-03-01"})
        .status_code
        == 403
    )
    assert SectorVersion.objects.filter(procedure__code="vf-nord").count() == 2


def test_the_perimeter_is_redrawn_on_the_page_and_a_bad_one_is_refused_on_its_field(draft, admin):
    import json

    page = admin.get(EDIT).content.decode()
    assert 'id="perimeter-draw-map"' in page and "Parts de financement des partenaires" in page
    ring = [[1.703, 48.983], [1.71, 48.99], [1.71, 48.983], [1.703, 48.99], [1.703, 48.983]]
    before = counts()
    crossing = admin.post(
        EDIT,
        {"form": "perimeter", "perimeter-geometry": json.dumps({"type": "Polygon", "coordinates": [ring]})},
    )
    body = crossing.content.decode()
    assert (
        crossing.status_code == 400 and 'id="id_perimeter-geometry-errors"' in body and "se recoupe" in body
    )
    without_car_park = admin.post(
        EDIT,
        {"form": "perimeter", "perimeter-geometry": json.dumps(geojson(box(1.708, 48.988, 1.718, 48.998)))},
    )
    assert without_car_park.status_code == 400 and "Parking" in without_car_park.content.decode()
    assert counts() == before
    assert SectorVersion.objects.get(pk=draft.version.pk).area_m2 == draft.version.area_m2
    larger = admin.post(
        EDIT,
        {"form": "perimeter", "perimeter-geometry": json.dumps(geojson(box(1.701, 48.981, 1.719, 48.999)))},
    )
    assert larger.status_code == 302
    assert SectorVersion.objects.get(pk=draft.version.pk).area_m2 > draft.version.area_m2
    assert SectorAuditEntry.objects.filter(event="perimeter_set").count() == 2  # the fixture's, then this one
