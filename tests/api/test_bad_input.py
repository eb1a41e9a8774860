"""Bad input answers 400 with a message naming what is wrong, never 500, and saves nothing: NUL characters
and text that is not valid Unicode, JSON nested a thousand levels deep, NaN, values over column limits."""

import json

import pytest

from engine.models import AuditEntry, Comment, Procedure
from procedures.models import InterventionRequest
from tests.factories import POINT_IN_COMMUNE_1

DEEP_ARRAY = "[" * 1000 + "]" * 1000
DEEP_OBJECT = '{"a":' * 1000 + "1" + "}" * 1000


def file_body(**extra):
    body = {
        "category": "potholes",
        "description": "Trou",
        "lon": POINT_IN_COMMUNE_1[0],
        "lat": POINT_IN_COMMUNE_1[1],
    }
    body.update(extra)
    return body


def post_raw(client, url, text):
    return client.generic("POST", url, text, content_type="application/json")


@pytest.mark.parametrize("text", [DEEP_ARRAY, DEEP_OBJECT])
def test_it_refuses_json_nested_a_thousand_levels_deep_even_anonymously(api, world, text):
    response = post_raw(api, "/api/v1/auth/token/", text)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "parse_error"
    assert "32" in body["detail"]


def test_it_refuses_json_nested_deeply_on_a_write_and_files_nothing(as_user, world, potholes):
    client = as_user(world.commune_user)
    text = json.dumps(file_body())[:-1] + ', "attributes": {"depth": ' + DEEP_ARRAY + "}}"
    response = post_raw(client, "/api/v1/requests/", text)
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert not InterventionRequest.objects.exists()


def test_json_nested_within_the_limit_is_parsed_as_before(as_user, world, potholes):
    client = as_user(world.commune_user)
    nested = "[" * 30 + "]" * 30
    text = (
        json.dumps(file_body())[:-1]
        + f', "tags": {nested}, "note": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}}'
    )
    response = post_raw(client, "/api/v1/requests/", text)
    assert response.status_code != 500
    assert response.json().get("code") != "parse_error"


@pytest.mark.parametrize(
    "extra, field",
    [
        ({"description": "a\x00b"}, "description"),
        ({"attributes": {"depth": "1\x00"}}, "attributes.depth"),
        ({"attributes": {"de\x00pth": 1}}, "attributes"),
        ({"address": "1 rue \ud800"}, "address"),
        ({"urgency_criteria": ["ok", "da\x00nger"]}, "urgency_criteria.1"),
    ],
)
def test_it_refuses_nul_and_unencodable_text_anywhere_in_json_naming_the_field(
    as_user, world, potholes, extra, field
):
    client = as_user(world.commune_user)
    response = post_raw(client, "/api/v1/requests/", json.dumps(file_body(**extra)))
    assert response.status_code == 400
    body = response.json()
    assert field in body["errors"]
    assert body["detail"].startswith(f"{field}: ")
    assert not InterventionRequest.objects.exists()
    assert not AuditEntry.objects.exists()


def test_it_refuses_nul_in_form_data_naming_the_field(as_user, world, potholes):
    client = as_user(world.commune_user)
    response = client.post("/api/v1/requests/", file_body(description="a\x00b", address="x\x00"))
    assert response.status_code == 400
    assert set(response.json()["errors"]) <= {"description", "address"}
    assert not InterventionRequest.objects.exists()


def test_it_refuses_nan_in_json(as_user, world, potholes):
    client = as_user(world.commune_user)
    text = json.dumps(file_body()).replace(str(POINT_IN_COMMUNE_1[0]), "NaN")
    response = post_raw(client, "/api/v1/requests/", text)
    assert response.status_code == 400
    assert "NaN" in response.json()["detail"]


def test_it_refuses_nul_in_the_query_string_and_the_path_with_400(as_user, world, potholes):
    client = as_user(world.commune_user)
    response = client.get("/api/v1/requests/", {"search": "a\x00b"})
    assert response.status_code == 400
    body = response.json()
    assert body["errors"] == {"search": ["Les caractères NUL ne sont pas autorisés."]}
    assert client.get("/api/v1/perimeters/a%00b/").status_code == 400
    assert client.get("/requests/?q=a%00b").status_code == 400


def test_it_refuses_a_comment_with_nul_and_writes_nothing(as_user, world, potholes):
    from procedures.actions import do_file_request

    filed = do_file_request(
        acting_user=world.commune_user,
        category="potholes",
        description="Trou",
        lon=POINT_IN_COMMUNE_1[0],
        lat=POINT_IN_COMMUNE_1[1],
    )
    client = as_user(world.commune_user)
    response = client.post(f"/api/v1/requests/{filed.pk}/comments/", {"body": "vu\x00"}, format="json")
    assert response.status_code == 400
    assert "body" in response.json()["errors"]
    assert not Comment.objects.exists()


@pytest.mark.parametrize(
    "replace, expected",
    [
        (("version: 1", "version: 12345678901234567890"), "version"),
        (("procedure: repair", "procedure: " + "r" * 65), "procedure"),
        (('title: {fr: "Réparation", en: "Repair"}', "title: " + "t" * 201), "title"),
        (('title: {fr: "Réparation", en: "Repair"}', 'title: "R\\0"'), "title"),
        (("roles: [requester,", 'roles: ["re\\udc00",'), "roles[0]"),
    ],
)
def test_a_procedure_version_over_the_column_limits_is_refused_with_400(as_user, world, replace, expected):
    from tests.engine.conftest import FULL_YAML

    world.admin_user.is_superuser = True
    world.admin_user.save()
    client = as_user(world.admin_user)
    response = client.post(
        "/api/v1/procedures/versions/", {"source": FULL_YAML.replace(*replace)}, format="json"
    )
    assert response.status_code == 400, response.content[:300]
    assert any(message.startswith(expected) for message in response.json()["errors"]["source"])
    assert not Procedure.objects.exists()
