import pytest
from rest_framework.test import APIClient

from api.models import ApiToken
from diagnostics.models import DiagnosticAuditEntry, Finding
from engine.models import OutboxEvent
from procedures.models import InterventionRequest
from tests.diagnostics.conftest import PNG, new_client_id, photo
from tests.factories import POINT_IN_QPV, POINT_OUTSIDE

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_user(world):
    def make(user):
        client = APIClient()
        _token, key = ApiToken.objects.create_for(user, "test")
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return make


def url(diagnostic, suffix=""):
    return f"/api/v1/diagnostics/{diagnostic.pk}/{suffix}"


def post_finding(client, diagnostic, client_id, **extra):
    data = {
        "client_id": client_id,
        "item": "proprete/encombrants",
        "rating": "1",
        "lon": str(POINT_IN_QPV[0]).replace(".", ","),
        "lat": str(POINT_IN_QPV[1]),
        "comment": "Matelas",
        "observed_at": "2026-11-20T10:00:00+01:00",
        "photos": [photo()],
    }
    data.update(extra)
    return client.post(url(diagnostic, "findings/"), data, format="multipart")


def test_the_same_finding_posted_three_times_through_the_api_is_kept_once(world, diagnostic, as_user):
    client = as_user(world.commune_user)
    client_id = new_client_id()
    answers = [post_finding(client, diagnostic, client_id) for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 200, 200]
    assert len({a.json()["id"] for a in answers}) == 1
    body = answers[0].json()
    assert body["client_id"] == client_id and body["theme"] == "proprete" and len(body["photos"]) == 1
    assert Finding.objects.count() == 1
    assert DiagnosticAuditEntry.objects.filter(event="finding_recorded").count() == 1
    photo_url = url(diagnostic, f"findings/{body['id']}/photos/{body['photos'][0]['id']}/")
    answer = client.get(photo_url)
    assert answer.status_code == 200 and answer["Content-Type"] == "image/png"
    assert b"".join(answer.streaming_content) == PNG
    assert as_user(world.commune_2_user).get(photo_url).status_code == 404


def test_it_answers_400_naming_the_field_for_bad_findings_and_keeps_nothing(world, diagnostic, as_user):
    client = as_user(world.commune_user)
    for extra, field in [
        ({"rating": "9"}, "rating"),
        ({"lon": str(POINT_OUTSIDE[0]), "lat": str(POINT_OUTSIDE[1])}, "location"),
        ({"photos": [photo("photo.png", b"<html>not a photo</html>")]}, "photos"),
        ({"item": "nope/nope"}, "item"),
    ]:
        answer = post_finding(client, diagnostic, new_client_id(), **extra)
        assert answer.status_code == 400, answer.content
        assert field in answer.json()["errors"], answer.json()
    assert not Finding.objects.exists()
    assert not OutboxEvent.objects.filter(kind="diagnostics.finding_recorded").exists()


def test_out_of_scope_diagnostics_are_404_and_lists_are_scoped(
    world, diagnostic, as_user, django_assert_max_num_queries
):
    outsider = as_user(world.commune_2_user)
    assert outsider.get(url(diagnostic)).status_code == 404
    assert post_finding(outsider, diagnostic, new_client_id()).status_code == 404
    assert outsider.get("/api/v1/diagnostics/").json()["results"] == []
    landlord = as_user(world.landlord_agent)
    assert landlord.get(url(diagnostic)).json()["participants"] == ["landlord"]
    assert post_finding(landlord, diagnostic, new_client_id()).status_code == 201
    commune = as_user(world.commune_user)
    for _ in range(3):
        post_finding(commune, diagnostic, new_client_id())
    with django_assert_max_num_queries(8):
        listed = commune.get("/api/v1/diagnostics/")
    assert [d["findings_count"] for d in listed.json()["results"]] == [4]
    with django_assert_max_num_queries(10):
        findings = commune.get(url(diagnostic, "findings/"))
    assert len(findings.json()["results"]) == 4


def test_it_prepares_moves_and_converts_through_the_api(world, grid, as_user, procedure):
    client = as_user(world.commune_user)
    answer = client.post(
        "/api/v1/diagnostics/",
        {
            "title": "Tour",
            "commune": "commune-1",
            "date": "2026-11-20",
            "grid_version": grid.pk,
            "qpv": "qpv-1",
        },
        format="json",
    )
    assert answer.status_code == 201, answer.content
    pk = answer.json()["id"]
    diagnostic = type("D", (), {"pk": pk})
    assert client.post(url(diagnostic, "move/"), {"transition": "close"}, format="json").status_code == 400
    assert client.post(url(diagnostic, "move/"), {"transition": "start_field"}, format="json").json()[
        "status"
    ] == ("in_field")
    first = post_finding(client, diagnostic, new_client_id()).json()["id"]
    second = post_finding(client, diagnostic, new_client_id(), item="proprete/corbeilles").json()["id"]
    client.post(url(diagnostic, "move/"), {"transition": "start_analysis"}, format="json")
    answer = client.post(
        url(diagnostic, "convert/"), {"findings": [first], "outcome": "request"}, format="json"
    )
    assert answer.status_code == 200 and answer.json()[0]["outcome"] == "request"
    reference = answer.json()[0]["request"]
    assert InterventionRequest.objects.get(reference=reference).requester_organisation == world.commune
    again = client.post(
        url(diagnostic, "convert/"), {"findings": [first], "outcome": "request"}, format="json"
    )
    assert again.json() == [{"finding": first, "outcome": "already", "request": reference, "reference": ""}]
    assert InterventionRequest.objects.count() == 1
    refused = client.post(
        url(diagnostic, "convert/"), {"findings": [second], "outcome": "no_action"}, format="json"
    )
    assert refused.status_code == 400 and "reason" in refused.json()["errors"]
    done = client.post(
        url(diagnostic, "convert/"),
        {"findings": [second], "outcome": "no_action", "reason": "Bailleur"},
        format="json",
    )
    assert done.json()[0]["outcome"] == "no_action"
    landlord = as_user(world.landlord_agent)
    assert (
        landlord.post(
            url(diagnostic, "convert/"), {"findings": [first], "outcome": "request"}, format="json"
        ).status_code
        == 404
    )


def test_grid_versions_are_listed_with_their_themes_items_and_scale(world, grid, as_user):
    body = as_user(world.commune_user).get("/api/v1/diagnostic-grids/").json()["results"]
    assert [(g["grid"], g["number"], g["status"]) for g in body] == [("test-grid", 1, "published")]
    assert [level["value"] for level in body[0]["scale"]] == [0, 1, 2, 3]
    assert body[0]["themes"][0]["items"][0]["category"] == "bulky"
