import re

import pytest
from django.urls import reverse
from shapely.geometry import box

from directory.models import Layer
from tests.factories import make_parcel, make_perimeter


def features_of(response):
    return response.json()["features"]


def test_the_map_page_asks_an_anonymous_visitor_to_log_in(client, db):
    response = client.get(reverse("map"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert client.get(reverse("map-layers")).status_code == 302


def test_the_map_page_lists_perimeters_and_sums_up_landlord_land_beside_the_map(client, world):
    client.force_login(world.commune_user)
    response = client.get(reverse("map"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-map data-config="map-config"' in body
    assert "QPV Un" in body and "Commune Deux" in body
    # one line per landlord (number of parcels, area), not one per parcel
    assert "<tr><td>Bailleur</td><td>1</td>" in body and "LANDLORD-1" not in body
    assert 'aria-label="Map of the territory"' in body


def test_the_layers_are_geojson_features_tagged_with_their_layer(client, world):
    client.force_login(world.ctc_agent)
    response = client.get(reverse("map-layers"))
    assert response.status_code == 200
    features = features_of(response)
    by_layer = {}
    for feature in features:
        by_layer.setdefault(feature["properties"]["layer"], []).append(feature["properties"]["code"])
        assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert by_layer == {
        "communes": ["commune-1", "commune-2"],
        "qpv": ["qpv-1"],
        "landlord_land": ["LANDLORD-1"],
    }
    landlord = next(f for f in features if f["properties"]["layer"] == "landlord_land")
    assert landlord["properties"]["owner"] == "Bailleur"


def test_the_layers_can_be_chosen_and_cropped_to_a_bounding_box(client, world):
    make_perimeter(Layer.SUBSECTORS, box(1.731, 48.981, 1.733, 48.983), code="sub-far", name="Far")
    client.force_login(world.ctc_agent)
    response = client.get(
        reverse("map-layers"), {"layer": ["communes", "subsectors"], "bbox": "1.70,48.98,1.71,49.0"}
    )
    assert response.status_code == 200
    assert [f["properties"]["code"] for f in features_of(response)] == ["commune-1"]
    response = client.get(reverse("map-layers"), {"layer": "subsectors"})
    assert [f["properties"]["code"] for f in features_of(response)] == ["sub-far"]


def test_a_parcel_of_a_private_owner_is_not_shown_as_landlord_land(client, world):
    make_parcel(box(1.701, 48.981, 1.702, 48.982), owner=None, ref="PRIVATE-1")
    make_parcel(box(1.703, 48.981, 1.704, 48.982), owner=world.contractor, ref="CONTRACTOR-1")
    client.force_login(world.ctc_agent)
    codes = [
        f["properties"]["code"]
        for f in features_of(client.get(reverse("map-layers"), {"layer": "landlord_land"}))
    ]
    assert codes == ["LANDLORD-1"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"layer": "rivers"}, "rivers"),
        ({"bbox": "1,2,3"}, "bbox"),
        ({"bbox": "a,b,c,d"}, "bbox"),
        ({"bbox": "3,3,1,1"}, "bbox"),
    ],
)
def test_it_rejects_an_unknown_layer_or_a_malformed_bbox_with_a_message(client, world, params, message):
    client.force_login(world.ctc_agent)
    response = client.get(reverse("map-layers"), params, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert message in response.json()["detail"]


def test_the_layers_take_a_constant_number_of_queries(client, world, django_assert_max_num_queries):
    for n in range(5):
        make_perimeter(Layer.ZONES, box(1.70 + n / 1000, 48.98, 1.701 + n / 1000, 48.981), unit=world.ctc)
    client.force_login(world.ctc_agent)
    client.get(reverse("map-layers"))  # warm the session and user caches
    with django_assert_max_num_queries(5):
        response = client.get(reverse("map-layers"))
    assert len(features_of(response)) == 9


def test_the_menu_offers_each_role_its_own_pages(client, world):
    def menu(user):
        client.force_login(user)
        body = client.get(reverse("home")).content.decode()
        nav = re.search(r'<nav aria-label="[^"]+">(.*?)</nav>', body, re.S).group(1)
        return set(re.findall(r'href="([^"]+)"', nav))

    assert reverse("map") in menu(world.commune_user)
    assert reverse("admin:index") not in menu(world.commune_user)
    assert reverse("admin:index") in menu(world.admin_user)


def test_pages_load_scripts_and_styles_from_this_site_only(client, world):
    client.force_login(world.commune_user)
    for url in (reverse("home"), reverse("map")):
        body = client.get(url).content.decode()
        sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', body)
        assert sources, url
        assert all(source.startswith("/static/") for source in sources), sources


def test_the_map_uses_no_tile_server_unless_one_is_configured(client, world, settings):
    client.force_login(world.commune_user)
    body = client.get(reverse("map")).content.decode()
    assert '"tileUrl": ""' in body
    settings.MAP_TILE_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    body = client.get(reverse("map")).content.decode()
    assert "tiles.example.org" in body


def test_a_subsector_shows_its_delegated_manager_and_the_land_shares(client, world):
    from directory.delegation import recompute_delegation

    # The sub-sector covers the landlord's parcel (1.705-1.715) plus a private strip, landlord > 60 %.
    subsector = make_perimeter(
        Layer.SUBSECTORS, box(1.705, 48.985, 1.717, 48.995), code="sub-1", name="Sub Un"
    )
    make_parcel(box(1.715, 48.985, 1.717, 48.995), owner=None, ref="PRIVATE-2")
    recompute_delegation(subsector)
    client.force_login(world.ctc_agent)
    feature = features_of(
        client.get(reverse("map-layers"), {"layer": "subsectors"}, HTTP_ACCEPT_LANGUAGE="en")
    )[0]
    assert feature["properties"]["delegatedManager"] == "Delegated manager: Bailleur"
    shares = r"Bailleur 83\.\d %, private owners 16\.\d %"
    assert re.fullmatch(shares, feature["properties"]["shares"])
    body = client.get(reverse("map"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert re.search(f"<td>Sub Un</td><td>Bailleur</td><td>60 %</td><td>{shares}</td>", body)


def test_the_interface_speaks_french_by_default_and_english_on_request(client, world):
    client.force_login(world.commune_user)
    french = client.get(reverse("map")).content.decode()
    assert 'lang="fr"' in french and "Carte du territoire" in french and "Aller au contenu" in french
    english = client.get(reverse("map"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Map of the territory" in english and "Carte du territoire" not in english


def test_the_programme_page_offers_each_role_its_sections_and_is_current_on_their_pages(client, world):
    def sections(user):
        client.force_login(user)
        body = client.get(reverse("programme")).content.decode()
        listed = re.search(r'<ul class="programme">(.*?)</ul>', body, re.S).group(1)
        return set(re.findall(r'href="([^"]+)"', listed))

    commune, landlord, admin = (
        sections(u) for u in (world.commune_user, world.landlord_agent, world.admin_user)
    )
    assert {reverse("observation"), reverse("diagnostic-list"), reverse("steering-meetings")} <= commune
    assert reverse("diagnostic-list") not in landlord  # walks are the communes', the DVQ's and the admins'
    assert reverse("tfpb-home") in landlord
    assert commune <= admin and reverse("tfpb-home") in admin

    client.force_login(world.commune_user)
    body = client.get(reverse("steering-actions")).content.decode()
    nav = re.search(r'<nav aria-label="[^"]+">(.*?)</nav>', body, re.S).group(1)
    assert re.findall(r'<a href="([^"]+)" aria-current="page">', nav) == [reverse("programme")]
    assert reverse("steering-meetings") not in nav  # the sections are on the programme page, not in the menu
