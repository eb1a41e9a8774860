"""Open311 GeoReport v2, point by point (http://wiki.open311.org/GeoReport_v2), in JSON and in XML."""

import json
from datetime import datetime
from xml.etree import ElementTree

import pytest
from django.test import Client

from api.models import ApiToken
from engine.models import AuditEntry
from procedures.models import CategoryAttribute, InterventionRequest
from tests.factories import POINT_IN_COMMUNE_1, POINT_IN_COMMUNE_2

FORMATS = ["json", "xml"]


def parse(response, fmt):
    """The body as plain Python: a list of dicts (collections) or a dict, whatever the format."""
    if fmt == "json":
        assert response["Content-Type"].startswith("application/json")
        return json.loads(response.content)
    assert response["Content-Type"].startswith("text/xml")
    root = ElementTree.fromstring(response.content)

    def value(element):
        children = list(element)
        if not children:
            return element.text
        if element.tag in ("values", "attributes", "endpoints", "formats", "notes"):
            return [value(child) for child in children]
        return {child.tag: value(child) for child in children}

    if root.tag in ("services", "service_requests", "errors"):
        return [value(child) for child in root]
    return value(root)


@pytest.fixture
def open311(potholes):
    CategoryAttribute.objects.create(
        category=potholes,
        code="side",
        label="Côté",
        type="multiple_choice",
        choices=["left", "right"],
        position=3,
    )
    return Client()


@pytest.fixture
def commune_key(world):
    return ApiToken.objects.create_for(world.commune_user, "open311")[1]


def post_request(client, fmt, key, **fields):
    data = {
        "api_key": key,
        "service_code": "potholes",
        "lat": str(POINT_IN_COMMUNE_1[1]),
        "long": str(POINT_IN_COMMUNE_1[0]),
        "description": "Nid-de-poule rue de la Paix",
    }
    data.update(fields)
    return client.post(f"/open311/v2/requests.{fmt}", data)


def test_formats_other_than_json_and_xml_do_not_exist(open311):
    assert open311.get("/open311/v2/services.html").status_code == 404
    assert open311.get("/open311/v2/services").status_code == 404


@pytest.mark.parametrize("fmt", FORMATS)
def test_1_discovery_lists_the_endpoint_its_specification_and_formats(open311, fmt):
    response = open311.get(f"/open311/v2/discovery.{fmt}")
    assert response.status_code == 200
    body = parse(response, fmt)
    assert body["changeset"] and body["contact"] and body["key_service"]
    endpoint = body["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2")
    assert endpoint["type"] == "production"
    assert endpoint["formats"] == ["application/json", "text/xml"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_2_service_list_gives_each_active_category_with_string_codes(open311, fmt):
    from tests.factories import make_category

    make_category("retired", is_active=False)
    response = open311.get(f"/open311/v2/services.{fmt}")
    assert response.status_code == 200
    services = parse(response, fmt)
    assert [s["service_code"] for s in services] == ["potholes"]
    service = services[0]
    assert service["service_name"] == "Nids-de-poule" and service["group"] == "Voirie"
    assert str(service["metadata"]).lower() == "true" and service["type"] == "realtime"
    assert {"description", "keywords"} <= set(service)


@pytest.mark.parametrize("fmt", FORMATS)
def test_3_service_definition_gives_the_attributes_with_datatypes_and_values(open311, fmt):
    response = open311.get(f"/open311/v2/services/potholes.{fmt}")
    assert response.status_code == 200
    definition = parse(response, fmt)
    assert definition["service_code"] == "potholes"
    by_code = {a["code"]: a for a in definition["attributes"]}
    assert by_code["depth"]["datatype"] == "number"
    assert str(by_code["depth"]["variable"]).lower() == "true"
    assert str(by_code["depth"]["required"]).lower() == "false"
    assert by_code["side"]["datatype"] == "multivaluelist"
    assert by_code["side"]["values"] == [{"key": "left", "name": "left"}, {"key": "right", "name": "right"}]
    assert [str(a["order"]) for a in definition["attributes"]] == ["1", "2"]
    missing = open311.get(f"/open311/v2/services/nope.{fmt}")
    assert missing.status_code == 404
    assert parse(missing, fmt)[0]["code"] in (404, "404")


@pytest.mark.parametrize("fmt", FORMATS)
def test_4_post_service_request_files_the_same_request_as_the_rest_api(open311, commune_key, world, fmt):
    response = post_request(
        open311, fmt, commune_key, **{"attribute[depth]": "15", "attribute[side][]": ["left", "right"]}
    )
    assert response.status_code == 201, response.content
    created = parse(response, fmt)
    request = InterventionRequest.objects.get()
    assert created[0]["service_request_id"] == request.reference
    assert request.requester == world.commune_user and request.commune == world.commune
    assert request.attributes == {"depth": 15, "side": ["left", "right"]}
    assert request.handler_unit == world.ctc and request.case.state == "submitted"
    assert AuditEntry.objects.filter(case_id=request.case_id, event="opened").count() == 1


@pytest.mark.parametrize("fmt", FORMATS)
def test_4b_the_api_key_may_be_given_in_the_query_string(open311, commune_key, fmt):
    data = {"service_code": "potholes", "lat": "48.998", "long": "1.702", "description": "x"}
    response = open311.post(f"/open311/v2/requests.{fmt}?api_key={commune_key}", data)
    assert response.status_code == 201 and InterventionRequest.objects.count() == 1


@pytest.mark.parametrize("fmt", FORMATS)
def test_4c_a_media_url_is_kept_on_the_request(open311, commune_key, fmt):
    from engine.models import Comment

    post_request(open311, fmt, commune_key, media_url="https://photos.example/1.jpg")
    request = InterventionRequest.objects.get()
    assert Comment.objects.filter(
        case_id=request.case_id, body__contains="https://photos.example/1.jpg"
    ).exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_5_post_errors_are_400_and_403_with_an_error_list(open311, commune_key, world, fmt):
    no_key = post_request(open311, fmt, "")
    assert no_key.status_code == 403 and "api_key" in parse(no_key, fmt)[0]["description"]
    bad_key = post_request(open311, fmt, "not-a-key")
    assert bad_key.status_code == 403
    agent_key = ApiToken.objects.create_for(world.ctc_agent, "x")[1]
    assert post_request(open311, fmt, agent_key).status_code == 403
    no_place = post_request(open311, fmt, commune_key, lat="", long="")
    assert no_place.status_code == 400 and "lat" in parse(no_place, fmt)[0]["description"]
    address_only = post_request(open311, fmt, commune_key, lat="", long="", address_string="1 rue X")
    assert address_only.status_code == 400
    too_long = post_request(open311, fmt, commune_key, description="x" * 4001)
    assert too_long.status_code == 400 and "4000" in parse(too_long, fmt)[0]["description"]
    unknown = post_request(open311, fmt, commune_key, service_code="nope")
    assert unknown.status_code == 404 and "nope" in parse(unknown, fmt)[0]["description"]
    elsewhere = post_request(
        open311, fmt, commune_key, lat=str(POINT_IN_COMMUNE_2[1]), long=str(POINT_IN_COMMUNE_2[0])
    )
    assert elsewhere.status_code == 400 and "location" in parse(elsewhere, fmt)[0]["description"]
    bad_attribute = post_request(
        open311, fmt, commune_key, **{"attribute[depth]": "deep", "attribute[nope]": "1"}
    )
    assert bad_attribute.status_code == 400
    described = [e["description"] for e in parse(bad_attribute, fmt)]
    assert any("depth" in d for d in described) and any("nope" in d for d in described)
    errors = parse(bad_attribute, fmt)
    assert all(str(e["code"]) == "400" for e in errors)
    assert InterventionRequest.objects.count() == 0


@pytest.mark.parametrize("fmt", FORMATS)
def test_6_get_service_requests_gives_the_fields_of_the_spec_with_w3c_datetimes(
    open311, commune_key, world, fmt, time_machine
):
    time_machine.move_to("2026-03-02 09:00:00+01:00")
    post_request(open311, fmt, commune_key, address_string="12 rue de la Paix")
    request = InterventionRequest.objects.get()
    response = open311.get(f"/open311/v2/requests.{fmt}")
    assert response.status_code == 200
    (item,) = parse(response, fmt)
    assert item["service_request_id"] == request.reference
    assert item["status"] == "open" and item["service_code"] == "potholes"
    assert item["agency_responsible"] == "CTC Un"
    assert item["address"] == "12 rue de la Paix"
    assert float(item["lat"]) == POINT_IN_COMMUNE_1[1] and float(item["long"]) == POINT_IN_COMMUNE_1[0]
    for name in ("requested_datetime", "updated_datetime", "expected_datetime"):
        moment = datetime.fromisoformat(item[name])
        assert moment.tzinfo is not None, name
    assert item["requested_datetime"] == "2026-03-02T09:00:00+01:00"
    assert item["status_notes"]  # the latest message to the commune
    personal = {"email", "first_name", "last_name", "phone", "account_id", "device_id"}
    assert not personal & set(item)
    assert world.commune_user.username not in response.content.decode()


@pytest.mark.parametrize("fmt", FORMATS)
def test_7_get_service_requests_filters_and_defaults(open311, commune_key, world, fmt, time_machine):
    from tests.factories import make_category

    time_machine.move_to("2025-11-01 09:00:00+01:00")
    post_request(open311, fmt, commune_key)
    old = InterventionRequest.objects.get()
    time_machine.move_to("2026-03-02 09:00:00+01:00")
    post_request(open311, fmt, commune_key)
    recent = InterventionRequest.objects.exclude(pk=old.pk).get()
    make_category("graffiti")

    def refs(query=""):
        response = open311.get(f"/open311/v2/requests.{fmt}{query}")
        assert response.status_code == 200, response.content
        return [item["service_request_id"] for item in parse(response, fmt)]

    assert refs() == [recent.reference]  # default: the last 90 days
    assert refs(f"?service_request_id={old.reference},{recent.reference}&service_code=graffiti") == [
        recent.reference,
        old.reference,
    ]  # the id overrides every other parameter
    assert refs("?start_date=2025-10-15T00:00:00%2B01:00&end_date=2025-11-15T00:00:00%2B01:00") == [
        old.reference
    ]
    assert refs("?end_date=2025-11-15T00:00:00%2B01:00") == [old.reference]  # 90 days before end_date
    assert refs("?service_code=graffiti") == []
    assert refs("?status=open") == [recent.reference]
    assert refs("?status=closed") == []
    from procedures.actions import do_transition_request

    do_transition_request(recent, "qualify", acting_user=world.ctc_agent)
    do_transition_request(
        recent, "finish", acting_user=world.ctc_agent, fields={"resolution_note": "Rebouché"}
    )
    do_transition_request(recent, "confirm", acting_user=world.commune_user)
    assert refs("?status=closed") == [recent.reference]
    assert refs("?status=open") == []
    assert refs("?status=open,closed") == [recent.reference]
    too_wide = open311.get(
        f"/open311/v2/requests.{fmt}?start_date=2025-01-01T00:00:00Z&end_date=2026-01-01T00:00:00Z"
    )
    assert too_wide.status_code == 400 and "90" in parse(too_wide, fmt)[0]["description"]
    bad_date = open311.get(f"/open311/v2/requests.{fmt}?start_date=yesterday")
    assert bad_date.status_code == 400
    bad_status = open311.get(f"/open311/v2/requests.{fmt}?status=lost")
    assert bad_status.status_code == 400


@pytest.mark.parametrize("fmt", FORMATS)
def test_8_get_one_service_request_is_a_list_of_one_and_404_when_unknown(open311, commune_key, fmt):
    post_request(open311, fmt, commune_key)
    request = InterventionRequest.objects.get()
    response = open311.get(f"/open311/v2/requests/{request.reference}.{fmt}")
    assert response.status_code == 200
    items = parse(response, fmt)
    assert len(items) == 1 and items[0]["service_request_id"] == request.reference
    missing = open311.get(f"/open311/v2/requests/DI-0000-000000.{fmt}")
    assert missing.status_code == 404 and str(parse(missing, fmt)[0]["code"]) == "404"


@pytest.mark.parametrize("fmt", FORMATS)
def test_9_a_token_resolves_to_its_service_request_id(open311, commune_key, fmt):
    response = post_request(open311, fmt, commune_key)
    request_id = parse(response, fmt)[0]["service_request_id"]
    token = open311.get(f"/open311/v2/tokens/{request_id}.{fmt}")
    assert token.status_code == 200
    assert parse(token, fmt) == [{"service_request_id": request_id, "token": request_id}]
    assert open311.get(f"/open311/v2/tokens/nope.{fmt}").status_code == 404


@pytest.mark.parametrize("fmt", FORMATS)
def test_10_extensions_paging_updated_range_and_notes(open311, commune_key, fmt, time_machine):
    time_machine.move_to("2026-03-02 09:00:00+01:00")
    for _ in range(3):
        post_request(open311, fmt, commune_key)
    time_machine.move_to("2026-03-02 10:00:00+01:00")
    page_1 = parse(open311.get(f"/open311/v2/requests.{fmt}?page_size=2"), fmt)
    page_2 = parse(open311.get(f"/open311/v2/requests.{fmt}?page_size=2&page=2"), fmt)
    assert len(page_1) == 2 and len(page_2) == 1
    assert not {i["service_request_id"] for i in page_1} & {i["service_request_id"] for i in page_2}
    assert (
        parse(open311.get(f"/open311/v2/requests.{fmt}?updated_after=2026-03-02T09:30:00%2B01:00"), fmt) == []
    )
    extended = parse(open311.get(f"/open311/v2/requests.{fmt}?extensions=true&page_size=1"), fmt)[0]
    assert extended["extended_attributes"]["state"] == "submitted"
    assert extended["notes"]
    assert open311.get(f"/open311/v2/requests.{fmt}?page_size=0").status_code == 400


@pytest.mark.parametrize("fmt", FORMATS)
def test_11_a_setting_requires_a_key_for_reading_and_then_scopes(open311, commune_key, world, settings, fmt):
    post_request(open311, fmt, commune_key)
    settings.OPEN311_GET_REQUIRES_KEY = True
    assert open311.get(f"/open311/v2/requests.{fmt}").status_code == 403
    assert len(parse(open311.get(f"/open311/v2/requests.{fmt}?api_key={commune_key}"), fmt)) == 1
    other_key = ApiToken.objects.create_for(world.commune_2_user, "x")[1]
    assert parse(open311.get(f"/open311/v2/requests.{fmt}?api_key={other_key}"), fmt) == []
    reference = InterventionRequest.objects.get().reference
    assert open311.get(f"/open311/v2/requests/{reference}.{fmt}?api_key={other_key}").status_code == 404


@pytest.mark.parametrize("fmt", FORMATS)
def test_12_impossible_input_is_400_not_a_server_error(open311, commune_key, fmt):
    assert open311.get(f"/open311/v2/requests.{fmt}?service_code=a%00b").status_code == 400
    assert (
        open311.get(f"/open311/v2/requests.{fmt}?start_date=2026-01-01T00:00:00%2B19:27").status_code == 400
    )
    assert open311.get(f"/open311/v2/requests.{fmt}?start_date=2026-13-45T00:00:00Z").status_code == 400
    assert post_request(open311, fmt, commune_key, description="a\x00b").status_code == 400
    assert InterventionRequest.objects.count() == 0


def test_13_the_request_list_costs_the_same_queries_as_rows_grow(
    open311, commune_key, django_assert_num_queries, django_assert_max_num_queries
):
    post_request(open311, "json", commune_key)
    with django_assert_max_num_queries(10) as first:
        open311.get("/open311/v2/requests.json?extensions=true")
        count = len(first.captured_queries)
    for _ in range(4):
        post_request(open311, "json", commune_key)
    with django_assert_num_queries(count):
        assert len(json.loads(open311.get("/open311/v2/requests.json?extensions=true").content)) == 5
