"""The figures over the controlled year of tests/observation/scenario.py, each number by hand."""

import datetime

import pytest

from engine.models import Deadline
from observation import figures
from observation.figures import Filters
from tests.observation import scenario

HOUR = 3600
YEAR = Filters(since=datetime.date(2026, 1, 1), until=datetime.date(2026, 12, 31))


@pytest.fixture
def year(requests_world, bulky, time_machine, settings):
    settings.GUP_OBSERVATION_MIN_CELL = 1
    requests = scenario.build(requests_world, bulky, time_machine)
    time_machine.move_to(datetime.datetime(2026, 12, 1, 9, tzinfo=datetime.UTC), tick=False)
    return requests


def test_each_deadline_keeps_the_target_of_its_start_and_the_business_time_it_took(year):
    def clocks(n, kind):
        rows = Deadline.objects.filter(case=year[n].case, kind=kind).order_by("pk")
        return [(d.target_seconds, d.taken_seconds, d.waited_seconds) for d in rows if d.taken_seconds]

    assert clocks(1, "resolve") == [(14 * HOUR, 8 * HOUR, 0)]
    assert clocks(2, "resolve") == [(14 * HOUR, int(10.5 * HOUR), 14 * HOUR)]
    assert clocks(4, "resolve") == [(14 * HOUR, 14 * HOUR, 0)]  # filed before the change
    assert clocks(3, "resolve") == [(21 * HOUR, 10 * HOUR, 0), (21 * HOUR, 28 * HOUR, 0)]
    assert clocks(2, "acknowledge") == [(7 * HOUR, 2 * HOUR, 0)]
    assert clocks(6, "acknowledge") == [(7 * HOUR, HOUR // 2, 0)]


def test_the_headline_figures_of_the_year_are_those_worked_out_by_hand(year, requests_world):
    result = figures.headline(requests_world.admin_user, YEAR)
    volumes = result["volumes"]
    assert {k: volumes[k] for k in ["filed", "done", "closed", "rejected", "merged", "redirected"]} == {
        "filed": 7, "done": 4, "closed": 1, "rejected": 1, "merged": 1, "redirected": 1,
    }  # fmt: skip
    assert (volumes["reopened"], volumes["reopen_rate"]) == (1, round(1 / 7, 4))
    assert (volumes["urgent"], volumes["urgent_share"]) == (1, round(1 / 7, 4))
    assert (volumes["unjustified_urgent"], volumes["unjustified_share"]) == (1, 1.0)
    assert volumes["with_fine"] == 1
    ack, resolve = result["delays"]["acknowledge"], result["delays"]["resolve"]
    assert (ack["measured"], ack["median_hours"], ack["p90_hours"], ack["on_time_share"]) == (
        7,
        1.0,
        1.4,
        1.0,
    )
    assert (resolve["measured"], resolve["median_hours"], resolve["p90_hours"]) == (5, 10.5, 22.4)
    assert (resolve["on_time"], resolve["on_time_share"]) == (4, 0.8)
    assert (resolve["waited"], resolve["mean_wait_hours"]) == (1, 14.0)
    alerts = result["alerts"]
    assert (alerts["urgency_checks"], alerts["upheld"], alerts["dismissed"], alerts["undecided"]) == (
        1,
        1,
        0,
        0,
    )
    assert result["fines"] == {"count": 1, "amount_eur": scenario.FINE_EUR}


def test_the_year_before_is_empty_and_rates_of_empty_cells_are_none(year, requests_world):
    both = figures.year_over_year(requests_world.admin_user, YEAR)
    assert both["current"]["volumes"]["filed"] == 7
    previous = both["previous"]
    assert (previous["volumes"]["filed"], previous["volumes"]["reopen_rate"]) == (0, None)
    assert previous["delays"]["resolve"]["median_hours"] is None


def test_the_breakdown_by_month_gives_each_month_its_counts_and_delays(year, requests_world):
    rows = {row["key"]: row for row in figures.breakdown(requests_world.admin_user, YEAR, "month")}
    assert {key.month: row["filed"] for key, row in rows.items()} == {5: 1, 6: 2, 7: 1, 9: 3}
    june = rows[datetime.date(2026, 6, 1)]
    assert (june["resolve"]["measured"], june["resolve"]["median_hours"]) == (2, 12.25)  # (10.5+14)/2
    july = rows[datetime.date(2026, 7, 1)]
    assert (july["resolve"]["measured"], july["resolve"]["on_time_share"]) == (2, 0.5)


def test_a_cell_under_the_minimum_size_shows_its_count_but_no_rate(year, requests_world, settings):
    settings.GUP_OBSERVATION_MIN_CELL = 2
    rows = {row["key"].month: row for row in figures.breakdown(requests_world.admin_user, YEAR, "month")}
    assert (rows[5]["filed"], rows[5]["suppressed"], rows[5]["done_rate"]) == (1, True, None)
    assert rows[5]["resolve"]["median_hours"] is None and rows[5]["resolve"]["measured"] == 1
    assert (rows[6]["suppressed"], rows[6]["done_rate"]) == (False, 1.0)
    settings.GUP_OBSERVATION_MIN_CELL = 5
    whole = figures.headline(requests_world.admin_user, YEAR)
    assert whole["delays"]["resolve"]["median_hours"] == 10.5  # 5 measured: shown
    assert whole["delays"]["acknowledge"]["on_time_share"] == 1.0


def test_slices_by_qpv_handler_kind_and_season_add_up(year, requests_world):
    admin = requests_world.admin_user
    qpv = {row["key"]: row["filed"] for row in figures.breakdown(admin, YEAR, "qpv")}
    assert qpv == {True: 2, False: 5}
    kinds = {row["key"]: row["filed"] for row in figures.breakdown(admin, YEAR, "handler_kind")}
    assert kinds == {"cu": 6, "landlord": 1}
    seasons = {row["key"]: row["filed"] for row in figures.breakdown(admin, YEAR, "season")}
    assert seasons == {"spring": 1, "summer": 3, "autumn": 3}


def test_a_commune_observes_its_territory_and_a_landlord_its_own_activity(year, requests_world):
    world = requests_world
    assert figures.headline(world.commune_user, YEAR)["volumes"]["filed"] == 7
    assert figures.headline(world.commune_2_user, YEAR)["volumes"]["filed"] == 0
    landlord = figures.headline(world.landlord_agent, YEAR)["volumes"]
    assert (landlord["filed"], landlord["redirected"]) == (1, 1)
    assert figures.headline(world.dvq_officer, YEAR)["volumes"]["filed"] == 7


def test_the_figures_take_a_constant_number_of_queries(year, requests_world, django_assert_num_queries):
    with django_assert_num_queries(6):  # which months are aggregated (none here), then 5
        figures.headline(requests_world.admin_user, YEAR)
    with django_assert_num_queries(4):
        figures.breakdown(requests_world.admin_user, YEAR, "commune")
