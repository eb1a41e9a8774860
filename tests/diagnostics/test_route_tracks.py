"""The route recorded by a phone's GPS during the walk: kept once per client identifier, checked (in or
near the commune, a sane number of points), made the diagnostic's route; through the action and the API."""

import datetime

import pytest
from rest_framework.test import APIClient

from api.models import ApiToken
from diagnostics.actions import do_move_diagnostic, do_record_route_track
from diagnostics.actions.diagnostics import MAX_ROUTE_POINTS
from diagnostics.models import DiagnosticAuditEntry, RouteTrack
from engine.errors import InvalidFields, RoleNotAllowed
from engine.models import OutboxEvent
from tests.diagnostics.conftest import new_client_id

pytestmark = pytest.mark.django_db

WALK = [[1.7060, 48.9860], [1.7060, 48.9860], [1.7080, 48.9880], [1.7100, 48.9900]]


def track(world, diagnostic, user=None, client_id=None, points=WALK, **extra):
    return do_record_route_track(
        diagnostic,
        acting_user=user or world.commune_user,
        client_id=client_id or new_client_id(),
        points=points,
        **extra,
    )


def test_a_recorded_route_becomes_the_diagnostics_route_once(world, diagnostic):
    client_id = new_client_id()
    results = [
        track(
            world,
            diagnostic,
            client_id=client_id,
            started_at="2026-11-20T10:00:00+01:00",
            ended_at="2026-11-20T11:30:00+01:00",
        )
        for _ in range(3)
    ]
    assert [created for _track, created in results] == [True, False, False]
    kept = RouteTrack.objects.get()
    assert kept.recorded_by == world.commune_user
    # the repeated point is dropped
    assert kept.line["coordinates"] == [[1.706, 48.986], [1.708, 48.988], [1.71, 48.99]]
    assert kept.points_count == 3 and 500 < kept.length_m < 600
    assert kept.ended_at - kept.started_at == datetime.timedelta(minutes=90)
    diagnostic.refresh_from_db()
    assert diagnostic.route == kept.line and diagnostic.route_length_m == kept.length_m
    entries = DiagnosticAuditEntry.objects.filter(event="route_recorded")
    assert entries.count() == 1
    assert entries.get().data == {
        "client_id": client_id,
        "points": 3,
        "length_m": kept.length_m,
        "replaced_points": 0,
    }
    assert OutboxEvent.objects.filter(kind="diagnostics.route_recorded", payload__track=kept.pk).count() == 1


def test_a_later_track_replaces_the_route_drawn_before(world, diagnostic, grid):
    from diagnostics.actions import do_change_diagnostic

    do_change_diagnostic(
        diagnostic,
        acting_user=world.commune_user,
        route={"type": "LineString", "coordinates": [[1.701, 48.981], [1.702, 48.982]]},
    )
    track(world, diagnostic, user=world.landlord_agent)  # a participating landlord records it
    diagnostic.refresh_from_db()
    assert len(diagnostic.route["coordinates"]) == 3
    assert DiagnosticAuditEntry.objects.get(event="route_recorded").data["replaced_points"] == 2


def test_it_refuses_bad_routes_naming_the_field_and_keeps_nothing(world, diagnostic):
    cases = [
        ({"points": [[1.71, 48.99]]}, "points"),
        ({"points": [[1.71, 48.99], [1.71, 48.99]]}, "points"),  # one place only
        ({"points": [[1.71, 48.99], [2.50, 48.50]]}, "points"),  # far outside the commune
        ({"points": [[1.71, 48.99], ["a", "b"]]}, "points"),
        ({"points": [[1.71, 48.99], [300, 48.99]]}, "points"),
        ({"points": "1.71 48.99"}, "points"),
        ({"points": [[1.71, 48.99]] * (MAX_ROUTE_POINTS + 1)}, "points"),
        ({"client_id": "x"}, "client_id"),
        ({"started_at": "2026-11-20T10:00:00"}, "started_at"),
        ({"started_at": "2026-13-45T10:00:00+01:00"}, "started_at"),
        ({"started_at": "2026-11-20T11:00:00+01:00", "ended_at": "2026-11-20T10:00:00+01:00"}, "ended_at"),
    ]
    for extra, field in cases:
        with pytest.raises(InvalidFields) as error:
            track(world, diagnostic, **extra)
        assert field in error.value.errors, (extra, error.value.errors)
    with pytest.raises(InvalidFields) as error:
        track(world, diagnostic, points=[[1.71, 48.99], [1.711, 48.991], [2.5, 48.5]])
    assert "3" in str(error.value.errors["points"])  # the point far away is named
    assert not RouteTrack.objects.exists()
    assert not DiagnosticAuditEntry.objects.filter(event="route_recorded").exists()
    assert not OutboxEvent.objects.filter(kind="diagnostics.route_recorded").exists()
    diagnostic.refresh_from_db()
    assert diagnostic.route is None


def test_a_route_just_outside_the_commune_is_kept(world, diagnostic):
    # 1.7203 is about 20 m east of the commune's edge (a street on the border)
    _track, created = track(world, diagnostic, points=[[1.7150, 48.99], [1.7203, 48.99]])
    assert created


def test_outsiders_cannot_record_and_a_closed_walk_takes_no_route(world, diagnostic):
    with pytest.raises(RoleNotAllowed):
        track(world, diagnostic, user=world.commune_2_user)
    do_move_diagnostic(diagnostic, "start_analysis", acting_user=world.commune_user)
    track(world, diagnostic)  # a phone back online during the analysis is still heard
    do_move_diagnostic(diagnostic, "close", acting_user=world.commune_user)
    with pytest.raises(InvalidFields) as error:
        track(world, diagnostic)
    assert "diagnostic" in error.value.errors
    assert RouteTrack.objects.count() == 1


@pytest.fixture
def api(world):
    def make(user):
        client = APIClient()
        _token, key = ApiToken.objects.create_for(user, "test")
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return make


def test_the_api_keeps_a_track_posted_three_times_once_and_lists_it_in_scope(world, diagnostic, api):
    client = api(world.commune_user)
    url = f"/api/v1/diagnostics/{diagnostic.pk}/route-tracks/"
    body = {"client_id": new_client_id(), "points": WALK, "started_at": "2026-11-20T10:00:00+01:00"}
    answers = [client.post(url, body, format="json") for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 200, 200]
    assert len({a.json()["id"] for a in answers}) == 1
    assert answers[0].json()["points_count"] == 3 and answers[0].json()["recorded_by"] == "commune"
    assert RouteTrack.objects.count() == 1
    listed = client.get(url).json()
    assert [row["client_id"] for row in listed["results"]] == [body["client_id"]]
    assert client.get(f"/api/v1/diagnostics/{diagnostic.pk}/").json()["route"]["coordinates"][0] == WALK[0]
    refused = client.post(
        url, {**body, "client_id": new_client_id(), "points": [[2.5, 48.5]] * 2}, format="json"
    )
    assert refused.status_code == 400 and "points" in refused.json()["errors"]
    outsider = api(world.commune_2_user)
    assert outsider.get(url).status_code == 404
    assert outsider.post(url, {**body, "client_id": new_client_id()}, format="json").status_code == 404
    assert RouteTrack.objects.count() == 1


def test_the_diagnostic_page_says_the_route_came_from_a_phone(world, diagnostic):
    from tests.diagnostics.test_web import client_for

    client = client_for(world.commune_user)
    assert "Enregistré par le téléphone" not in client.get(f"/diagnostics/{diagnostic.pk}/").content.decode()
    moments = {"started_at": "2026-11-20T10:00:00+01:00", "ended_at": "2026-11-20T11:30:00+01:00"}
    track(world, diagnostic, user=world.landlord_agent, **moments)
    page = client.get(f"/diagnostics/{diagnostic.pk}/").content.decode()
    assert "Enregistré par le téléphone de" in page and "3 points" in page and "20/11/2026 11:30" in page
