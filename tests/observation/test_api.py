"""The observation API: figures, breakdown, backlog and fines as JSON, scoped; bad filters refused."""

import pytest
from rest_framework.test import APIClient

from tests.observation import scenario
from tests.procedures.helpers_actions import paris

URL = "/api/v1/observation/"


@pytest.fixture
def year(requests_world, bulky, time_machine, settings):
    settings.GUP_OBSERVATION_MIN_CELL = 1
    requests = scenario.build(requests_world, bulky, time_machine)
    time_machine.move_to(paris(2026, 12, 1, 9, 0), tick=False)
    return requests


def client(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_the_figures_of_the_year_and_the_year_before_come_as_json(
    year, requests_world, django_assert_num_queries
):
    api = client(requests_world.dvq_officer)
    with django_assert_num_queries(12):  # 6 queries per period, whatever the number of requests
        response = api.get(URL + "figures/", {"since": "2026-01-01", "until": "2026-12-31"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["current"]["volumes"]["filed"], body["previous"]["volumes"]["filed"]) == (7, 0)
    resolve = body["current"]["delays"]["resolve"]
    assert (resolve["median_hours"], resolve["p90_hours"], resolve["on_time_share"]) == (10.5, 22.4, 0.8)


def test_the_breakdown_by_commune_and_the_fines_follow_the_scope(year, requests_world):
    world = requests_world
    response = client(world.commune_user).get(
        URL + "breakdown/", {"since": "2026-01-01", "until": "2026-12-31", "by": "commune"}
    )
    assert response.status_code == 200
    assert [(row["name"], row["filed"]) for row in response.json()["rows"]] == [(world.commune.name, 7)]
    response = client(world.commune_2_user).get(URL + "breakdown/", {"since": "2026-01-01", "by": "commune"})
    assert (response.status_code, response.json()["rows"]) == (200, [])
    fines = client(world.commune_user).get(URL + "fines/", {"since": "2026-01-01", "by": "category"})
    assert [(row["name"], row["count"]) for row in fines.json()["rows"]] == [("Encombrants", 1)]


def test_a_commune_filtering_another_commune_or_an_unknown_one_gets_404(year, requests_world):
    api = client(requests_world.commune_user)
    assert api.get(URL + "figures/", {"commune": "78902"}).status_code == 404
    assert api.get(URL + "figures/", {"commune": "99999"}).status_code == 404
    assert api.get(URL + "figures/", {"commune": "78901"}).status_code == 200
    landlord = client(requests_world.landlord_agent)
    assert landlord.get(URL + "figures/", {"handler_unit": "ctc"}).status_code == 404
    assert landlord.get(URL + "figures/", {"handler_kind": "cu"}).status_code == 404
    assert landlord.get(URL + "figures/", {"handler_unit": "landlord-agency"}).status_code == 200


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "2026-13-01"}, "since"),
        ({"since": "hier"}, "since"),
        ({"since": "2026-06-01", "until": "2026-05-01"}, "until"),
        ({"since": "2020-01-01", "until": "2026-12-31"}, "until"),  # over the maximum period
        ({"qpv": "peut-être"}, "qpv"),
        ({"handler_kind": "agent"}, "handler_kind"),
        ({"category": "nope"}, "category"),
        ({"by": "agent"}, "by"),
    ],
)
def test_bad_filters_are_refused_with_a_message_naming_the_parameter(requests_world, params, field):
    response = client(requests_world.admin_user).get(URL + "breakdown/", params)
    assert response.status_code == 400, response.content
    assert field in str(response.json())


def test_the_backlog_curve_comes_from_the_snapshots_and_anonymous_callers_are_refused(year, requests_world):
    from django.core.management import call_command

    call_command("backlog_snapshots", "--since", "2026-06", "--until", "2026-09", stdout=None)
    response = client(requests_world.admin_user).get(URL + "backlog/", {"since": "2026-01-01"})
    assert [row["open"] for row in response.json()["months"]] == [1, 0, 0, 1]
    assert APIClient().get(URL + "backlog/").status_code in (401, 403)
