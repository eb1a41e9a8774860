import datetime

import pytest
from django.core.exceptions import ValidationError

from procedures.models import ServiceLevel, Urgency
from procedures.service_levels import targets_for
from tests.factories import make_category

SUMMER = datetime.date(2026, 6, 15)
WINTER = datetime.date(2026, 1, 10)


@pytest.fixture
def levels(db):
    trees = make_category("trees")
    other = make_category("other")
    ServiceLevel.objects.create(name="default", acknowledge_hours=16, resolve_hours=80)
    ServiceLevel.objects.create(name="qpv", zone_type="qpv", acknowledge_hours=8, resolve_hours=40)
    ServiceLevel.objects.create(name="urgent", urgency="urgent", acknowledge_hours=2, resolve_hours=14)
    ServiceLevel.objects.create(
        name="urgent qpv", zone_type="qpv", urgency="urgent", acknowledge_hours=1, resolve_hours=7
    )
    ServiceLevel.objects.create(
        name="trees summer", category=trees, season_start="04-01", season_end="09-30",
        acknowledge_hours=16, resolve_hours=60,
    )  # fmt: skip
    ServiceLevel.objects.create(
        name="trees winter", category=trees, season_start="10-01", season_end="03-31",
        acknowledge_hours=24, resolve_hours=120,
    )  # fmt: skip
    return trees, other


def test_the_most_specific_matching_level_wins(levels):
    _trees, other = levels
    assert targets_for(other, in_qpv=False, urgency=Urgency.NORMAL, day=SUMMER).level.name == "default"
    assert targets_for(other, in_qpv=True, urgency=Urgency.NORMAL, day=SUMMER).level.name == "qpv"
    assert targets_for(other, in_qpv=False, urgency=Urgency.URGENT, day=SUMMER).level.name == "urgent"
    urgent_qpv = targets_for(other, in_qpv=True, urgency=Urgency.URGENT, day=SUMMER)
    assert (urgent_qpv.level.name, urgent_qpv.acknowledge_hours, urgent_qpv.resolve_hours) == (
        "urgent qpv",
        1,
        7,
    )


def test_seasons_apply_by_date_including_one_that_wraps_over_the_new_year(levels):
    trees, _other = levels
    assert targets_for(trees, in_qpv=False, urgency=Urgency.NORMAL, day=SUMMER).resolve_hours == 60
    assert targets_for(trees, in_qpv=False, urgency=Urgency.NORMAL, day=WINTER).resolve_hours == 120
    assert targets_for(
        trees, in_qpv=False, urgency=Urgency.NORMAL, day=datetime.date(2026, 12, 31)
    ).level.name == ("trees winter")


def test_without_any_level_the_settings_default_applies(db, settings):
    settings.GUP_DEFAULT_ACKNOWLEDGE_HOURS = 5
    settings.GUP_DEFAULT_RESOLVE_HOURS = 9
    targets = targets_for(make_category(), in_qpv=False, urgency=Urgency.NORMAL, day=SUMMER)
    assert (targets.level, targets.acknowledge_hours, targets.resolve_hours) == (None, 5, 9)


def test_inactive_levels_are_ignored(levels):
    _trees, other = levels
    ServiceLevel.objects.filter(name="qpv").update(is_active=False)
    assert targets_for(other, in_qpv=True, urgency=Urgency.NORMAL, day=SUMMER).level.name == "default"


@pytest.mark.parametrize(
    ("fields", "field_at_fault"),
    [
        ({"season_start": "04-01"}, "season_end"),
        ({"season_start": "4-1", "season_end": "09-30"}, "season_start"),
        ({"acknowledge_hours": 10, "resolve_hours": 5}, "resolve_hours"),
    ],
)
def test_it_refuses_an_inconsistent_service_level(db, fields, field_at_fault):
    values = {"name": "x", "acknowledge_hours": 1, "resolve_hours": 2, **fields}
    with pytest.raises(ValidationError) as raised:
        ServiceLevel(**values).full_clean()
    assert field_at_fault in raised.value.message_dict
