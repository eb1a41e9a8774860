from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from directory.models import (
    Competence,
    Layer,
    LayerVersion,
    Organisation,
    Parcel,
    Perimeter,
    Referent,
    SplitRule,
    Unit,
    UnitKind,
    in_season,
)
from tests.factories import make_category


def test_a_season_is_inclusive_and_may_wrap_over_new_year():
    assert in_season("04-01", "10-15", "04-01") and in_season("04-01", "10-15", "10-15")
    assert not in_season("04-01", "10-15", "10-16")
    assert in_season("11-15", "02-28", "01-10") and in_season("11-15", "02-28", "12-31")
    assert not in_season("11-15", "02-28", "06-01")
    assert in_season("", "", "06-01")


def test_it_rejects_an_impossible_season_day_or_half_a_season(world):
    competence = Competence(unit=world.ctc, category=make_category(), season_start="02-30", season_end="")
    with pytest.raises(ValidationError) as error:
        competence.full_clean()
    assert "season_start" in error.value.message_dict
    assert "__all__" in error.value.message_dict
    assert not Competence.objects.exists()


def test_it_rejects_a_referent_in_a_unit_of_another_organisation(world):
    referent = Referent(
        organisation=world.landlord, unit=world.ctc, first_name="A", last_name="B", function="other"
    )
    with pytest.raises(ValidationError) as error:
        referent.full_clean()
    assert "unit" in error.value.message_dict


def test_every_write_to_the_territory_or_the_rules_bumps_the_layer_version(world):
    before = LayerVersion.current()
    category = make_category()
    competence = Competence.objects.create(unit=world.ctc, category=category)
    assert LayerVersion.current() == before + 1
    competence.communes.add(world.commune)
    assert LayerVersion.current() == before + 2
    world.ctc.territory.add(world.commune_2)
    assert LayerVersion.current() == before + 3
    Parcel.objects.get(ref="LANDLORD-1").delete()
    assert LayerVersion.current() == before + 4
    world.qpv.name = "QPV renamed"
    world.qpv.save()
    assert LayerVersion.current() == before + 5


def test_the_demo_data_exercise_every_routing_rule(db):
    call_command("load_demo", "--without-requests", stdout=StringIO())
    delegated = Perimeter.objects.filter(layer=Layer.SUBSECTORS).exclude(delegated_manager=None)
    assert delegated.filter(delegated_manager__kind="landlord").exists()
    assert all(share["share_pct"] > 60 for p in delegated for share in p.land_shares[:1])
    split = SplitRule.objects.select_related("perimeter", "unit__organisation")
    assert split.filter(unit__organisation__kind="contractor").exists()
    assert split.values("perimeter").distinct().count() >= 1
    direct = set(Competence.objects.filter(direct_handling=True).values_list("category__code", flat=True))
    assert direct == {"encombrants", "depot-sauvage", "dechets-diffus"}
    assert all(c.unit.kind == UnitKind.WASTE for c in Competence.objects.filter(direct_handling=True))
    for ctc in Unit.objects.filter(kind=UnitKind.CTC):
        assert ctc.competences.count() >= 5 and ctc.territory.exists()
    assert Competence.objects.exclude(season_start="").exists()
    assert Competence.objects.filter(unit__organisation__kind="landlord").exists()
    assert Referent.objects.filter(function="gup_referent", organisation__kind="commune").count() == 8
    assert Referent.objects.filter(unit__kind=UnitKind.CTC).exists()
    assert not Referent.objects.filter(is_fictional=False).exists()
    assert Unit.objects.filter(kind=UnitKind.CTC).exclude(opening_hours="").count() == 3
    assert Parcel.objects.filter(owner__kind="landlord").exists()
    version = LayerVersion.current()
    call_command("load_demo", "--without-requests", stdout=StringIO())
    assert LayerVersion.current() == version  # nothing rewritten on a second run
    assert Organisation.objects.filter(kind="landlord", is_fictional=True).count() == 2


@pytest.fixture
def admin_client_logged(client, world):
    client.force_login(world.admin_user)
    return client


def test_the_admin_edits_referents_competences_and_contact_details(admin_client_logged, world):
    category = make_category(code="tags")
    response = admin_client_logged.post(
        f"/admin/directory/unit/{world.ctc.pk}/change/",
        {
            "organisation": world.cu.pk,
            "parent": "",
            "code": "ctc-1",
            "name": "CTC Un",
            "kind": "ctc",
            "territory": [world.commune.pk],
            "email": "ctc@example.org",
            "phone": "01 02 03 04 05",
            "address": "1 rue Test",
            "opening_hours": "Mon-Fri 9-17",
            "referents-TOTAL_FORMS": "1",
            "referents-INITIAL_FORMS": "0",
            "referents-0-first_name": "Ada",
            "referents-0-last_name": "Lovelace",
            "referents-0-function": "ctc_contact",
            "referents-0-title": "Agent",
            "referents-0-email": "ada@example.org",
            "referents-0-phone": "0102",
            "referents-0-position": "0",
            "competences-TOTAL_FORMS": "1",
            "competences-INITIAL_FORMS": "0",
            "competences-0-category": category.pk,
            "competences-0-direct_handling": "",
            "competences-0-season_start": "04-01",
            "competences-0-season_end": "09-30",
            "competences-0-note": "",
        },
    )
    assert response.status_code == 302, response.content[:3000]
    world.ctc.refresh_from_db()
    assert world.ctc.opening_hours == "Mon-Fri 9-17" and world.ctc.phone == "01 02 03 04 05"
    referent = Referent.objects.get()
    assert referent.organisation == world.cu and referent.unit == world.ctc
    competence = Competence.objects.get()
    assert (competence.unit, competence.season_start, competence.season_end) == (world.ctc, "04-01", "09-30")


def test_the_admin_refuses_an_invalid_perimeter_geometry(admin_client_logged, world):
    count = Perimeter.objects.count()
    response = admin_client_logged.post(
        "/admin/directory/perimeter/add/",
        {
            "layer": "zones",
            "code": "z1",
            "name": "Zone",
            "geometry": '{"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}',
            "properties": "{}",
            "delegation_threshold_pct": "60",
            "split_rules-TOTAL_FORMS": "0",
            "split_rules-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "invalid geometry" in response.content.decode()
    assert Perimeter.objects.count() == count


def test_the_resolver_reaches_each_of_the_six_rules_on_the_demo_territory(db):
    import datetime as dt

    from shapely.geometry import shape

    from directory import routing

    call_command("load_demo", "--without-requests", stdout=StringIO())
    winter = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)

    def centre(perimeter_code):
        point = shape(Perimeter.objects.get(code=perimeter_code).geometry).representative_point()
        return point.x, point.y

    def run(point, category):
        decision = routing.resolve(*point, category, at=winter)
        return decision.decided_by, decision.handler.code, decision.to_qualify

    split = centre("ss-cinq-quartiers-molieres")
    delegated = centre("ss-val-fourre-peintres")
    subsectors = [shape(p.geometry) for p in Perimeter.objects.filter(layer=Layer.SUBSECTORS)]
    landlord_parcel = next(
        shape(p.geometry).representative_point()
        for p in Parcel.objects.filter(owner__code="residences-mantois").order_by("ref")
        if not any(s.intersects(shape(p.geometry)) for s in subsectors)
    )
    private_parcel = next(
        shape(p.geometry).representative_point()
        for p in Parcel.objects.filter(owner=None, ref__startswith="VAL-FOURRE").order_by("ref")
        if not any(s.intersects(shape(p.geometry)) for s in subsectors)
    )
    assert run(split, "dechets-diffus") == (1, "regie-quartier-val-agence", False)
    assert run(delegated, "tags") == (2, "residences-mantois-agence", False)
    assert run((landlord_parcel.x, landlord_parcel.y), "espaces-verts") == (
        3,
        "residences-mantois-agence",
        False,
    )
    assert run((private_parcel.x, private_parcel.y), "encombrants") == (4, "dir-dechets", False)
    assert run((private_parcel.x, private_parcel.y), "eclairage") == (5, "ctc-mantois", False)
    assert run((private_parcel.x, private_parcel.y), "vehicule-ventouse") == (6, "ctc-mantois", True)
