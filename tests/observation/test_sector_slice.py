"""The sub-sector procedure slice (registered through observation.figures.register_dimension): the
requests routed by a sub-sector procedure's version counted under that procedure, the others under the
empty key; the same from the monthly aggregates as live."""

import datetime

from observation import figures
from observation.actions import do_refresh_monthly_figures
from observation.figures import DIMENSIONS, Filters
from tests.sectors.conftest import active, draft, sector_world  # noqa: F401
from tests.sectors.test_sector_routing import IN_SECTOR, OUTSIDE, file


def test_requests_are_sliced_by_the_sub_sector_procedure_that_routed_them(active, time_machine):  # noqa: F811
    assert "sector" in DIMENSIONS
    time_machine.move_to(datetime.datetime(2026, 3, 2, 9, tzinfo=datetime.UTC), tick=False)
    file(active, active.tags, IN_SECTOR)
    file(active, active.tags, IN_SECTOR)
    file(active, active.tags, OUTSIDE)
    time_machine.move_to(datetime.datetime(2026, 4, 2, 9, tzinfo=datetime.UTC), tick=False)
    period = Filters(since=datetime.date(2026, 3, 1), until=datetime.date(2026, 3, 31))
    admin = active.world.admin_user
    live = figures.breakdown(admin, period, "sector")
    procedure = active.version.procedure
    assert [(row["key"], row["name"], row["filed"]) for row in live] == [
        (procedure.pk, procedure.title, 2), (None, "", 1),
    ]  # fmt: skip
    do_refresh_monthly_figures(acting_user=None)
    assert figures.plan(period).live is None  # March is read from the aggregates
    assert figures.breakdown(admin, period, "sector") == live
