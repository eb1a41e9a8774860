"""Entering data without a browser (issue 12): decimal commas, the warning before an urgent request
without criterion, the filing map's commune and address search, the menu, the territory page."""

import json
from io import BytesIO

import pytest
from django.urls import reverse

from directory import demo
from engine.models import AuditEntry, OutboxEvent
from procedures.models import InterventionRequest
from tests.factories import POINT_IN_QPV
from tests.web.test_requests import EN, body_of, file_form
from web.forms import NumberField


@pytest.fixture
def setup(world, procedure, category):
    return world


def post_filing(client, user, **overrides):
    client.force_login(user)
    return client.post(reverse("request-new"), file_form(**overrides), **EN)


# --- numbers -----------------------------------------------------------------------------------------------
def test_a_coordinate_typed_with_a_decimal_comma_is_read_as_a_decimal(client, setup):
    response = post_filing(client, setup.commune_user, lon="1,71", lat="48,99", attr_volume="2,5")
    assert response.status_code == 302, body_of(response)[-2000:]
    filed = InterventionRequest.objects.get()
    assert (filed.lon, filed.lat) == POINT_IN_QPV == (1.71, 48.99)
    assert filed.attributes["volume"] == 2.5


@pytest.mark.parametrize("typed", ["48,99.1", "48,9,9", "4 899", "nan"])
def test_an_ambiguous_number_is_refused_with_a_message_and_nothing_is_filed(client, setup, typed):
    response = post_filing(client, setup.commune_user, lat=typed)
    assert response.status_code == 400
    assert "with a point or a comma before the decimals" in body_of(response)
    assert not InterventionRequest.objects.exists() and not AuditEntry.objects.exists()


def test_number_fields_are_text_inputs_with_a_decimal_keypad(client, setup):
    client.force_login(setup.commune_user)
    page = body_of(client.get(reverse("request-new"), {"category": "encombrants"}, **EN))
    for name in ("lat", "lon", "attr_volume"):
        assert f'type="text" name="{name}"' in page and 'type="number"' not in page
    assert 'inputmode="decimal"' in page


def test_the_number_field_of_a_step_takes_a_comma_too():
    from django.utils import translation

    field = NumberField(required=False)
    assert field.clean("12,5") == 12.5 and field.clean("12.5") == 12.5 and field.clean("") is None
    with translation.override("en"), pytest.raises(Exception, match="point or a comma"):
        field.clean("1,234.5")
    with translation.override("fr"), pytest.raises(Exception, match="un point ou une virgule"):
        field.clean("1,234.5")


# --- urgent without criterion ------------------------------------------------------------------------------
def test_an_urgent_request_without_criterion_comes_back_with_a_warning_first(client, setup):
    response = post_filing(client, setup.commune_user, urgency="urgent")
    assert response.status_code == 400
    page = body_of(response)
    assert "Without an objective criterion, the DVQ will be alerted" in page
    assert 'name="confirm_no_criterion"' in page and 'name="urgency_criteria"' in page
    assert not InterventionRequest.objects.exists() and not OutboxEvent.objects.exists()


def test_confirming_files_it_as_urgent_and_unjustified(client, setup):
    response = post_filing(client, setup.commune_user, urgency="urgent", confirm_no_criterion="on")
    assert response.status_code == 302
    filed = InterventionRequest.objects.get()
    assert (filed.urgency, filed.urgency_justified) == ("urgent", False)


def test_an_urgent_request_with_a_criterion_or_a_normal_one_gets_no_warning(client, setup):
    client.force_login(setup.commune_user)
    page = body_of(client.get(reverse("request-new"), {"category": "encombrants"}, **EN))
    assert 'name="confirm_no_criterion"' not in page
    assert (
        post_filing(client, setup.commune_user, urgency="urgent", urgency_criteria=["danger"]).status_code
        == 302
    )
    assert InterventionRequest.objects.get().urgency_justified is True


# --- the filing map ----------------------------------------------------------------------------------------
def map_config_of(page):
    start = page.index('<script id="map-config" type="application/json">') + len(
        '<script id="map-config" type="application/json">'
    )
    return json.loads(page[start : page.index("</script>", start)])


def test_the_filing_map_opens_on_the_users_commune(client, setup):
    client.force_login(setup.commune_user)
    config = map_config_of(body_of(client.get(reverse("request-new"), **EN)))
    assert config["focus"] == {
        "layer": "communes",
        "code": "commune-1",
        "name": "Commune Une",
        "bounds": [[48.98, 1.70], [49.00, 1.72]],
    }
    client.force_login(setup.commune_2_user)
    assert map_config_of(body_of(client.get(reverse("request-new"))))["focus"]["code"] == "commune-2"


def test_the_address_search_finds_communes_qpv_and_streets_the_own_commune_first(client, setup, monkeypatch):
    monkeypatch.setattr(
        "web.views_geocode.DEMO_STREETS",
        [("commune-2", "Rue de la Gare", 1.73, 48.99), ("commune-1", "Rue de la Gare", 1.708, 48.996)],
    )
    client.force_login(setup.commune_user)
    found = client.get(reverse("map-address-search"), {"q": "rue de la gare"}, **EN).json()["features"]
    assert [f["properties"]["commune"] for f in found] == ["Commune Une", "Commune Deux"]
    assert found[0]["geometry"] == {"type": "Point", "coordinates": [1.708, 48.996]}
    assert found[0]["properties"]["label"] == "Rue de la Gare, Commune Une (fictional position)"
    assert found[0]["properties"]["address"] == "Rue de la Gare, Commune Une"
    qpv = client.get(reverse("map-address-search"), {"q": "qpv un"}).json()["features"]
    assert [f["properties"]["kind"] for f in qpv] == ["qpv"]
    assert qpv[0]["geometry"]["coordinates"] == [1.71, 48.99]
    assert client.get(reverse("map-address-search"), {"q": "zzz"}).json()["features"] == []


def test_the_address_search_refuses_a_too_short_text_and_strangers(client, setup):
    assert client.get(reverse("map-address-search"), {"q": "rue"}).status_code == 302
    client.force_login(setup.commune_user)
    response = client.get(reverse("map-address-search"), {"q": "r"}, **EN)
    assert response.status_code == 400 and "between 2 and 200 characters" in response.json()["detail"]


class FakeAnswer(BytesIO):
    def __enter__(self):
        return self

    def __exit__(self, *args):
        return False


def test_a_configured_geocoder_is_asked_near_the_users_commune(client, setup, settings, monkeypatch):
    settings.GEOCODER_URL = "https://geocoder.example.org/search/"
    asked = []

    def fake_urlopen(request, timeout):
        asked.append((request.full_url, timeout))
        answer = {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [1.709, 48.991]},
                    "properties": {
                        "label": "3 Rue Nationale 78200 Mantes-la-Jolie",
                        "city": "Mantes-la-Jolie",
                    },
                }
            ],
        }
        return FakeAnswer(json.dumps(answer).encode())

    monkeypatch.setattr("web.views_geocode.urlopen", fake_urlopen)
    client.force_login(setup.commune_user)
    found = client.get(reverse("map-address-search"), {"q": "3 rue nationale"}).json()["features"]
    assert asked == [("https://geocoder.example.org/search/?q=3+rue+nationale&limit=8&lon=1.71&lat=48.99", 5)]
    assert found[0]["properties"]["label"] == "3 Rue Nationale 78200 Mantes-la-Jolie"
    assert found[0]["properties"]["address"] == "3 Rue Nationale 78200 Mantes-la-Jolie"
    assert found[0]["geometry"]["coordinates"] == [1.709, 48.991]


def test_a_failing_geocoder_is_a_502_with_a_message(client, setup, settings, monkeypatch):
    settings.GEOCODER_URL = "https://geocoder.example.org/search/"

    def down(request, timeout):
        raise OSError("connection refused")

    monkeypatch.setattr("web.views_geocode.urlopen", down)
    client.force_login(setup.commune_user)
    response = client.get(reverse("map-address-search"), {"q": "rue"}, **EN)
    assert response.status_code == 502 and "place the point on the map" in response.json()["detail"]


def test_every_demo_street_lies_in_its_commune():
    shapes = demo.commune_shapes()
    from shapely.geometry import Point

    outside = [
        (code, name)
        for code, name, lon, lat in demo.DEMO_STREETS
        if not shapes[code].contains(Point(lon, lat))
    ]
    assert demo.DEMO_STREETS and outside == []


# --- menu and territory page -------------------------------------------------------------------------------
def test_only_the_current_page_is_marked_in_the_menu(client, setup):
    client.force_login(setup.commune_user)
    page = body_of(client.get(reverse("request-new"), **EN))
    assert page.count('aria-current="page"') == 1
    assert f'<a href="{reverse("request-new")}" aria-current="page">' in page
    listing = body_of(client.get(reverse("request-list"), **EN))
    assert listing.count('aria-current="page"') == 1
    assert f'<a href="{reverse("request-list")}" aria-current="page">' in listing


def test_every_page_names_its_favicon(client, setup):
    client.force_login(setup.commune_user)
    assert '<link rel="icon" href="/static/web/favicon.svg" type="image/svg+xml">' in body_of(client.get("/"))


def test_the_territory_page_has_a_legend_of_the_layers_it_holds_only(client, setup):
    client.force_login(setup.commune_user)
    page = body_of(client.get(reverse("map"), **EN))
    legend = page[page.index('id="legend-title"') : page.index("</section>", page.index('id="legend-title"'))]
    assert 'data-layer="communes"' in legend and 'data-layer="qpv"' in legend
    assert 'data-layer="landlord_land"' in legend
    assert "zones" not in legend and "Management zones" not in page  # the world has no management zone
