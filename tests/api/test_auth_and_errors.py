import pytest
from django.contrib.staticfiles import finders

from api.models import ApiToken, IdempotencyRecord, hash_token_key
from tests.factories import PASSWORD


def test_a_user_exchanges_username_and_password_for_a_named_token_that_authenticates(api, world):
    response = api.post(
        "/api/v1/auth/token/", {"username": "commune", "password": PASSWORD, "name": "outil mairie"}
    )
    assert response.status_code == 201
    key = response.json()["token"]
    token = ApiToken.objects.get(user=world.commune_user)
    assert token.name == "outil mairie"
    assert token.key_hash == hash_token_key(key) and key not in token.key_hash
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    me = api.get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json()["username"] == "commune"
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_it_rejects_a_wrong_password_with_the_error_format_and_creates_no_token(api, world):
    response = api.post("/api/v1/auth/token/", {"username": "commune", "password": "wrong"})
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400 and body["code"] == "invalid_credentials"
    assert "l'identifiant et le mot de passe" in body["detail"]
    assert "non_field_errors" in body["errors"]
    assert ApiToken.objects.count() == 0


def test_it_rejects_a_token_request_without_password_naming_the_field(api, world):
    response = api.post("/api/v1/auth/token/", {"username": "commune"})
    assert response.status_code == 400
    assert response.json()["errors"]["password"]
    assert ApiToken.objects.count() == 0


def test_a_user_lists_and_revokes_only_their_own_tokens(as_user, api, world):
    first, first_key = ApiToken.objects.create_for(world.commune_user, "one")
    ApiToken.objects.create_for(world.commune_user, "two")
    other, _key = ApiToken.objects.create_for(world.commune_2_user, "other")
    api.credentials(HTTP_AUTHORIZATION=f"Token {first_key}")
    listing = api.get("/api/v1/auth/tokens/")
    assert listing.status_code == 200
    assert sorted(item["name"] for item in listing.json()["results"]) == ["one", "two"]
    assert "key_hash" not in listing.json()["results"][0]
    assert api.delete(f"/api/v1/auth/tokens/{other.pk}/").status_code == 404
    assert ApiToken.objects.filter(pk=other.pk).exists()
    assert api.delete(f"/api/v1/auth/tokens/{first.pk}/").status_code == 204
    assert not ApiToken.objects.filter(pk=first.pk).exists()
    revoked = api.get("/api/v1/me/")
    assert revoked.status_code == 401
    assert revoked.json() == {
        "status": 401,
        "code": "authentication_failed",
        "detail": "Jeton invalide ou révoqué.",
    }


def test_an_inactive_users_token_no_longer_authenticates(as_user, world):
    client = as_user(world.commune_user)
    world.commune_user.is_active = False
    world.commune_user.save()
    assert client.get("/api/v1/me/").status_code == 401


def test_me_gives_the_commune_with_its_insee_code_and_the_roles(as_user, world):
    body = as_user(world.commune_user).get("/api/v1/me/").json()
    assert body["organisation"] == {
        "code": "commune-1",
        "kind": "commune",
        "name": "Commune Une",
        "insee": "78901",
    }
    assert body["roles"] == ["referent", "requester"]
    agent = as_user(world.ctc_agent).get("/api/v1/me/").json()
    assert agent["organisation"] == {"code": "cu", "kind": "cu", "name": "Communauté urbaine"}
    assert agent["unit"]["code"] == "ctc-1"


def test_an_anonymous_caller_gets_401_in_the_error_format(api, db):
    response = api.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Token"


def test_the_session_of_the_browser_authenticates_too(api, world):
    api.force_login(world.dvq_officer)
    assert api.get("/api/v1/me/").json()["roles"] == ["dvq_officer"]


def test_an_idempotency_key_replays_the_first_response_and_creates_nothing_new(as_user, world):
    client = as_user(world.commune_user)
    first = client.delete(f"/api/v1/auth/tokens/{ApiToken.objects.get(user=world.commune_user).pk}/")
    assert first.status_code == 204  # (the client's own token: it is now revoked)
    client = as_user(world.commune_user)
    one, _k = ApiToken.objects.create_for(world.commune_user, "one")
    two, _k = ApiToken.objects.create_for(world.commune_user, "two")
    url = f"/api/v1/auth/tokens/{one.pk}/"
    response = client.delete(url, HTTP_IDEMPOTENCY_KEY="abc-1")
    assert response.status_code == 204
    assert (
        IdempotencyRecord.objects.filter(user=world.commune_user, key="abc-1", status_code=204).count() == 1
    )
    replay = client.delete(url, HTTP_IDEMPOTENCY_KEY="abc-1")
    assert replay.status_code == 204 and replay["Idempotent-Replayed"] == "true"
    other = client.delete(f"/api/v1/auth/tokens/{two.pk}/", HTTP_IDEMPOTENCY_KEY="abc-1")
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert ApiToken.objects.filter(pk=two.pk).exists()
    assert IdempotencyRecord.objects.count() == 1


def test_an_idempotency_key_is_per_user_and_expires_after_24_hours(as_user, world, time_machine):
    time_machine.move_to("2026-03-02 10:00:00+01:00")
    client = as_user(world.commune_user)
    one, _k = ApiToken.objects.create_for(world.commune_user, "one")
    assert client.delete(f"/api/v1/auth/tokens/{one.pk}/", HTTP_IDEMPOTENCY_KEY="k").status_code == 204
    other_user = as_user(world.commune_2_user)
    mine, _k = ApiToken.objects.create_for(world.commune_2_user, "mine")
    assert other_user.delete(f"/api/v1/auth/tokens/{mine.pk}/", HTTP_IDEMPOTENCY_KEY="k").status_code == 204
    assert not ApiToken.objects.filter(pk=mine.pk).exists()
    time_machine.move_to("2026-03-03 10:00:01+01:00")
    two, _k = ApiToken.objects.create_for(world.commune_user, "two")
    response = client.delete(f"/api/v1/auth/tokens/{two.pk}/", HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 204
    assert not ApiToken.objects.filter(pk=two.pk).exists()


def test_writes_are_throttled_per_user_from_the_setting(as_user, world, settings):
    settings.API_WRITE_THROTTLE_RATE = "2/min"
    client = as_user(world.commune_user)
    tokens = [ApiToken.objects.create_for(world.commune_user, f"t{i}")[0] for i in range(3)]
    assert client.delete(f"/api/v1/auth/tokens/{tokens[0].pk}/").status_code == 204
    assert client.delete(f"/api/v1/auth/tokens/{tokens[1].pk}/").status_code == 204
    third = client.delete(f"/api/v1/auth/tokens/{tokens[2].pk}/")
    assert third.status_code == 429 and third.json()["code"] == "throttled"
    assert "Retry-After" in third
    assert ApiToken.objects.filter(pk=tokens[2].pk).exists()
    assert client.get("/api/v1/me/").status_code == 200  # reads are not throttled
    other = as_user(world.commune_2_user)
    mine = ApiToken.objects.create_for(world.commune_2_user, "x")[0]
    assert other.delete(f"/api/v1/auth/tokens/{mine.pk}/").status_code == 204


def test_the_schema_is_openapi_3_and_documents_the_error_responses(api, db):
    response = api.get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "Error" in schema["components"]["schemas"]
    revoke = schema["paths"]["/api/v1/auth/tokens/{id}/"]["delete"]["responses"]
    for code in ("401", "403", "404", "409", "422", "429"):
        assert revoke[code]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert "401" not in schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]
    assert "tokenAuth" in schema["components"]["securitySchemes"]


def test_the_interactive_docs_load_their_assets_from_this_server_not_a_cdn(api, db):
    response = api.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower() and "https://" not in html
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")


@pytest.mark.parametrize("url", ["/api/v1/me/", "/api/v1/categories/", "/api/v1/perimeters/?layer=qpv"])
def test_reads_need_authentication(api, db, url):
    assert api.get(url).status_code == 401


def test_the_schema_generates_without_any_warning(db, tmp_path):
    from django.core.management import call_command

    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(target))
    assert "/api/v1/requests/{id}/transitions/{code}/" in target.read_text()
