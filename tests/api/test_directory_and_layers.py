from shapely.geometry import box

from directory.models import Competence, Layer, Referent
from procedures.models import CategoryAttribute, UrgencyCriterion
from tests.factories import make_category, make_parcel, make_perimeter


def test_categories_list_and_read_by_code(as_user, world):
    make_category("potholes", name="Nids-de-poule")
    make_category("graffiti", name="Graffitis", is_active=False)
    client = as_user(world.commune_user)
    listing = client.get("/api/v1/categories/")
    assert listing.status_code == 200
    assert [item["code"] for item in listing.json()["results"]] == ["graffiti", "potholes"]
    active = client.get("/api/v1/categories/?is_active=true").json()["results"]
    assert [item["code"] for item in active] == ["potholes"]
    one = client.get("/api/v1/categories/potholes/")
    assert one.status_code == 200 and one.json()["name"] == "Nids-de-poule"
    assert one.json()["attributes"] == [] and one.json()["urgency_criteria"] == []
    missing = client.get("/api/v1/categories/nope/")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_a_category_carries_its_attributes_and_active_urgency_criteria_in_constant_queries(
    as_user, world, django_assert_num_queries
):
    client = as_user(world.commune_user)
    client.get("/api/v1/categories/")

    def add(code):
        category = make_category(code)
        CategoryAttribute.objects.create(
            category=category, code="depth", label="Profondeur", type="number", min_value=0, position=2
        )
        CategoryAttribute.objects.create(
            category=category,
            code="kind",
            label="Type",
            type="single_choice",
            choices=["a", "b"],
            choice_labels_en={"a": "A (en)"},
            required=True,
        )
        UrgencyCriterion.objects.create(category=category, code="danger", label="Danger", label_en="Hazard")
        UrgencyCriterion.objects.create(category=category, code="old", label="Old", is_active=False)

    add("potholes")
    with django_assert_num_queries(5):  # token, count, page, attributes, criteria
        body = client.get("/api/v1/categories/").json()
    potholes = body["results"][0]
    assert [a["code"] for a in potholes["attributes"]] == ["kind", "depth"]
    assert potholes["attributes"][0]["choices"] == ["a", "b"] and potholes["attributes"][0]["required"]
    assert potholes["urgency_criteria"] == [{"code": "danger", "label": "Danger", "label_en": "Hazard"}]
    assert potholes["attributes"][0]["choice_labels_en"] == {"a": "A (en)"}  # English labels beside French
    assert potholes["attributes"][1]["label_en"] == "" and "help_text_en" in potholes["attributes"][1]
    for code in ("c1", "c2", "c3"):
        add(code)
    with django_assert_num_queries(5):
        assert client.get("/api/v1/categories/").json()["count"] == 4


def test_the_directory_lists_organisations_units_and_referents(as_user, world):
    client = as_user(world.ctc_agent)
    communes = client.get("/api/v1/organisations/?kind=commune").json()["results"]
    assert [(o["code"], o["insee"]) for o in communes] == [("commune-2", "78902"), ("commune-1", "78901")]
    ctc = client.get("/api/v1/units/ctc-1/").json()
    assert ctc["organisation"] == "cu" and ctc["territory"] == ["78901"] and ctc["kind"] == "ctc"
    covering = client.get("/api/v1/units/?commune=78902").json()["results"]
    assert sorted(u["code"] for u in covering) == ["ctc-2", "dvq", "waste"]
    Referent.objects.create(
        organisation=world.commune, first_name="Ana", last_name="Lys", function="gup_referent"
    )
    Referent.objects.create(
        organisation=world.cu, unit=world.ctc, first_name="Bo", last_name="Ré", function="ctc_contact"
    )
    referents = client.get("/api/v1/referents/").json()["results"]
    assert sorted(r["organisation"] for r in referents) == ["commune-1", "cu"]
    only_one = client.get("/api/v1/referents/?commune=78901").json()["results"]
    assert [(r["last_name"], r["function"]) for r in only_one] == [("Lys", "gup_referent")]
    assert [r["unit"] for r in client.get("/api/v1/referents/?unit=ctc-1").json()["results"]] == ["ctc-1"]


def test_competences_say_which_unit_handles_which_category_where(as_user, world):
    category = make_category("potholes")
    competence = Competence.objects.create(
        unit=world.ctc_2, category=category, season_start="04-01", season_end="10-31"
    )
    competence.communes.set([world.commune_2])
    Competence.objects.create(unit=world.waste, category=make_category("bulky"), direct_handling=True)
    client = as_user(world.commune_user)
    listing = client.get("/api/v1/competences/").json()["results"]
    assert [(c["category"], c["unit"]) for c in listing] == [("bulky", "waste"), ("potholes", "ctc-2")]
    assert listing[1]["communes"] == ["78902"] and listing[1]["season_start"] == "04-01"
    assert [c["unit"] for c in client.get("/api/v1/competences/?commune=78902").json()["results"]] == [
        "ctc-2"
    ]
    assert client.get(f"/api/v1/competences/{competence.pk}/").json()["category"] == "potholes"


def test_the_directory_list_query_count_does_not_grow_with_rows(as_user, world, django_assert_num_queries):
    from tests.factories import make_organisation, make_unit

    client = as_user(world.ctc_agent)
    client.get("/api/v1/units/")  # warm the token's last_used_at
    with django_assert_num_queries(4):  # token, count, page, territories
        client.get("/api/v1/units/")
    for i in range(6):
        make_unit(
            world.cu, code=f"extra-{i}", territory=[world.commune, world.commune_2, make_organisation()]
        )
    with django_assert_num_queries(4):
        assert client.get("/api/v1/units/").json()["count"] == 11


def test_a_layer_is_a_geojson_feature_collection_with_its_properties(as_user, world):
    client = as_user(world.commune_user)
    response = client.get("/api/v1/perimeters/?layer=communes")
    assert response.status_code == 200
    body = response.json()
    assert body["type"] == "FeatureCollection" and body["count"] == 2
    feature = body["features"][0]
    assert feature["type"] == "Feature"
    assert feature["geometry"]["type"] == "Polygon"
    assert feature["properties"] == {
        "code": "commune-1",
        "name": "Commune Une",
        "layer": "communes",
        "insee": "78901",
    }
    qpv = client.get("/api/v1/perimeters/?layer=qpv").json()["features"]
    assert [f["properties"]["code"] for f in qpv] == ["qpv-1"]


def test_sub_sectors_carry_threshold_shares_and_delegated_manager(as_user, world):
    # The landlord owns LANDLORD-1, which covers this whole sub-sector: it is its delegated manager.
    subsector = make_perimeter(
        Layer.SUBSECTORS, box(1.706, 48.986, 1.708, 48.988), code="ss-1", name="Sous-secteur"
    )
    from directory.delegation import recompute_delegation

    recompute_delegation(subsector)
    features = as_user(world.commune_user).get("/api/v1/perimeters/?layer=subsectors").json()["features"]
    props = features[0]["properties"]
    assert props["code"] == "ss-1"
    assert props["threshold"] == float(subsector.delegation_threshold_pct)
    assert props["shares"] == {"landlord": 100.0}
    assert props["delegated_manager"] == "landlord"


def test_it_rejects_a_missing_or_unknown_layer_naming_the_parameter(as_user, world):
    client = as_user(world.commune_user)
    missing = client.get("/api/v1/perimeters/")
    assert missing.status_code == 400 and "layer" in missing.json()["errors"]
    unknown = client.get("/api/v1/perimeters/?layer=rivers")
    assert unknown.status_code == 400 and "rivers" in unknown.json()["errors"]["layer"][0]


def test_parcels_of_a_perimeter_are_those_that_overlap_it(as_user, world):
    make_parcel(box(1.730, 48.990, 1.731, 48.991), ref="IN-COMMUNE-2")
    client = as_user(world.commune_user)
    body = client.get("/api/v1/parcels/?perimeter=qpv-1").json()
    assert body["type"] == "FeatureCollection"
    assert [
        {key: f["properties"][key] for key in ("ref", "owner", "domain", "exists")} for f in body["features"]
    ] == [{"ref": "LANDLORD-1", "owner": "landlord", "domain": "private", "exists": True}]
    other = client.get("/api/v1/parcels/?perimeter=commune-2&layer=communes").json()["features"]
    assert [f["id"] for f in other] == ["IN-COMMUNE-2"]


def test_it_rejects_parcels_without_a_known_perimeter(as_user, world):
    client = as_user(world.commune_user)
    assert client.get("/api/v1/parcels/").json()["errors"]["perimeter"]
    response = client.get("/api/v1/parcels/?perimeter=nowhere")
    assert response.status_code == 400 and "nowhere" in response.json()["detail"]
