"""The monthly aggregates: the worker keeps them, the figures read them, and they give exactly the
numbers the live computation gives on the controlled year (tests/observation/scenario.py)."""

import datetime
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command

from engine.errors import RoleNotAllowed
from engine.models import OutboxEvent
from observation import dashboard, figures
from observation.actions import do_record_fine, do_refresh_monthly_figures, refresh_monthly_figures
from observation.figures import DIMENSIONS, Filters
from observation.models import (
    AggregatedMonth,
    AggregateWatermark,
    MonthlyDelays,
    MonthlyFigures,
    ObservationAuditEntry,
)
from procedures import actions
from tests.observation import scenario
from tests.procedures.helpers_actions import paris

YEAR = Filters(since=datetime.date(2026, 1, 1), until=datetime.date(2026, 12, 31))
PERIODS = [
    YEAR,
    Filters(since=datetime.date(2026, 5, 14), until=datetime.date(2026, 9, 2)),  # months cut at both ends
    Filters(since=datetime.date(2026, 6, 1), until=datetime.date(2026, 7, 31)),
    Filters(since=datetime.date(2026, 1, 1), until=datetime.date(2026, 12, 31), in_qpv=False),
]


@pytest.fixture
def year(requests_world, bulky, time_machine, settings):
    settings.GUP_OBSERVATION_MIN_CELL = 1
    requests = scenario.build(requests_world, bulky, time_machine)
    time_machine.move_to(paris(2026, 12, 1, 9, 0), tick=False)
    return requests


def everything(world):
    """Every figure of every period, slice and observer, as the pages and the API read them."""
    out = {}
    for user in (world.admin_user, world.commune_user, world.landlord_agent):
        for index, filters in enumerate(PERIODS):
            out[user.username, index, "headline"] = figures.headline(user, filters)
            out[user.username, index, "fines"] = figures.fines_by(user, filters, "commune")
            for by in DIMENSIONS:
                out[user.username, index, by] = figures.breakdown(user, filters, by)
    return out


def test_the_aggregates_give_exactly_the_figures_of_the_live_computation(year, requests_world):
    live = everything(requests_world)
    assert not AggregatedMonth.objects.exists()
    months = do_refresh_monthly_figures(acting_user=None)
    # every month from January of the year before the first request (May 2026)
    assert months == [datetime.date(year, month, 1) for year in (2025, 2026) for month in range(1, 13)]
    assert MonthlyFigures.objects.filter(month=datetime.date(2026, 9, 1)).count() == 2  # in/outside QPV
    # Resolve clocks of July's filings: R3's two (10 h and 28 h, target 21 h).
    july = MonthlyDelays.objects.filter(month=datetime.date(2026, 7, 1), kind="resolve")
    assert sorted(july.values_list("taken_seconds", "target_seconds", "count")) == [
        (10 * 3600, 21 * 3600, 1), (28 * 3600, 21 * 3600, 1),
    ]  # fmt: skip
    read = everything(requests_world)
    assert read == live
    resolve = read[requests_world.admin_user.username, 0, "headline"]["delays"]["resolve"]
    assert (resolve["median_hours"], resolve["p90_hours"], resolve["on_time"]) == (10.5, 22.4, 4)


def test_the_figures_of_whole_months_are_read_from_the_aggregates(year, requests_world):
    do_refresh_monthly_figures(acting_user=None)
    # A change made outside the actions (no audit entry) is not seen until its month is rebuilt.
    MonthlyFigures.objects.filter(month=datetime.date(2026, 9, 1)).update(filed=100)
    assert figures.headline(requests_world.admin_user, YEAR)["volumes"]["filed"] == 4 + 2 * 100
    # A period cutting September reads its days live.
    cut = Filters(since=datetime.date(2026, 9, 2), until=datetime.date(2026, 9, 30))
    assert figures.headline(requests_world.admin_user, cut)["volumes"]["filed"] == 3
    out = StringIO()
    call_command("observation_aggregates", "--since", "2026-09", "--until", "2026-09", stdout=out)
    assert "1 month" in out.getvalue()
    assert figures.headline(requests_world.admin_user, YEAR)["volumes"]["filed"] == 7


def test_the_worker_refreshes_only_the_months_of_the_requests_changed_since(
    year, requests_world, time_machine
):
    world = requests_world
    assert refresh_monthly_figures() == 24
    assert refresh_monthly_figures() == 0  # within GUP_OBSERVATION_REFRESH_SECONDS
    time_machine.move_to(paris(2026, 12, 1, 9, 2), tick=False)
    assert refresh_monthly_figures() == 0  # nothing changed
    do_record_fine(year[2], issued_on=datetime.date(2026, 11, 30), kind="littering", acting_user=None)
    actions.do_transition_request(year[6], "acknowledge", acting_user=world.landlord_agent)
    time_machine.move_to(paris(2026, 12, 1, 9, 4), tick=False)
    assert do_refresh_monthly_figures(acting_user=None) == [
        datetime.date(2026, 6, 1),
        datetime.date(2026, 9, 1),
    ]
    refreshed = dict(AggregatedMonth.objects.values_list("month", "refreshed_at"))
    assert refreshed[datetime.date(2026, 5, 1)] < refreshed[datetime.date(2026, 6, 1)]
    assert refreshed[datetime.date(2026, 5, 1)] == refreshed[datetime.date(2025, 1, 1)]
    june = Filters(since=datetime.date(2026, 6, 1), until=datetime.date(2026, 6, 30))
    assert figures.headline(world.admin_user, june)["fines"]["count"] == 1
    live = MonthlyFigures.objects.get(month=datetime.date(2026, 6, 1), in_qpv=True)
    assert (live.fines, live.with_fine) == (1, 1)
    watermark = AggregateWatermark.objects.get()
    assert watermark.fine_id == year[2].fines.get().pk
    entries = ObservationAuditEntry.objects.filter(event="monthly_figures_refreshed").order_by("pk")
    assert [entry.data["months"] for entry in entries] == [
        [f"{y}-{m:02d}" for y in (2025, 2026) for m in range(1, 13)], ["2026-06", "2026-09"],
    ]  # fmt: skip
    events = OutboxEvent.objects.filter(kind="observation.monthly_figures_refreshed")
    assert events.count() == 2


def test_only_an_administrator_or_the_system_refreshes_the_aggregates(year, requests_world):
    with pytest.raises(RoleNotAllowed):
        do_refresh_monthly_figures(acting_user=requests_world.dvq_officer)
    assert not AggregatedMonth.objects.exists() and not MonthlyFigures.objects.exists()
    assert not ObservationAuditEntry.objects.filter(event="monthly_figures_refreshed").exists()
    assert do_refresh_monthly_figures(acting_user=requests_world.admin_user)


def test_the_command_refuses_a_bad_month(db):
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("observation_aggregates", "--since", "2026-13")
    assert not AggregatedMonth.objects.exists()


def test_the_dashboard_read_from_the_aggregates_is_cached_until_they_change(
    year, requests_world, time_machine, django_assert_num_queries
):
    cache.clear()
    admin = requests_world.admin_user
    assert dashboard.cache_key(admin, YEAR) is None  # nothing aggregated: computed live each time
    do_refresh_monthly_figures(acting_user=None)
    first = dashboard.build(admin, YEAR, with_charts=False)
    with django_assert_num_queries(3):  # which months are aggregated (x2), snapshots; then the cache
        again = dashboard.build(admin, YEAR, with_charts=False)
    assert again == first and again["current"]["volumes"]["filed"] == 7
    assert dashboard.cache_key(requests_world.commune_user, YEAR) != dashboard.cache_key(admin, YEAR)
    do_record_fine(year[4], issued_on=datetime.date(2026, 7, 3), kind="other", acting_user=None)
    time_machine.move_to(paris(2026, 12, 1, 9, 5), tick=False)
    do_refresh_monthly_figures(acting_user=None)
    assert dashboard.build(admin, YEAR, with_charts=False)["current"]["fines"]["count"] == 2
