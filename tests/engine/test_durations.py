"""Durations and escalation offsets as written in procedure definitions (engine.durations)."""

import pytest
from django.utils import translation

from engine.durations import (
    MAX_DURATION_SECONDS,
    NOMINAL_BUSINESS_DAY_SECONDS,
    Duration,
    DurationError,
    parse_duration,
    parse_offset,
)


@pytest.fixture(autouse=True)
def english_messages():
    """These tests check the wording of the English messages (French is covered by the i18n tests)."""
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("text", "amount", "unit", "business", "seconds"),
    [
        ("2 business_days", 2, "business_days", True, 2 * NOMINAL_BUSINESS_DAY_SECONDS),
        ("1 business_day", 1, "business_days", True, NOMINAL_BUSINESS_DAY_SECONDS),
        ("4 business_hours", 4, "business_hours", True, 4 * 3600),
        ("1 business_hour", 1, "business_hours", True, 3600),
        ("30 business_minutes", 30, "business_minutes", True, 1800),
        ("1 business_minute", 1, "business_minutes", True, 60),
        ("3 days", 3, "days", False, 3 * 86400),
        ("1 day", 1, "days", False, 86400),
        ("12 hours", 12, "hours", False, 12 * 3600),
        ("1 hour", 1, "hours", False, 3600),
        ("45 minutes", 45, "minutes", False, 45 * 60),
        ("1 minute", 1, "minutes", False, 60),
        ("1 week", 1, "weeks", False, 7 * 86400),
        ("2 weeks", 2, "weeks", False, 14 * 86400),
        ("1.5 hours", 1.5, "hours", False, 5400),
        ("2.0 days", 2, "days", False, 2 * 86400),
        ("  3   Business_Days ", 3, "business_days", True, 3 * NOMINAL_BUSINESS_DAY_SECONDS),
    ],
)
def test_it_parses_every_unit_in_plural_and_singular(text, amount, unit, business, seconds):
    duration = parse_duration(text)

    assert duration == Duration(amount=amount, unit=unit, business=business, seconds=seconds)
    assert type(duration.amount) is type(amount)


def test_it_gives_a_canonical_text_that_parses_back_to_the_same_duration():
    duration = parse_duration("1 business_day")

    assert str(duration) == "1 business_days"
    assert parse_duration(duration.text) == duration


def test_it_keeps_business_days_as_amount_and_unit_with_nominal_seconds():
    duration = parse_duration("2 business_days")

    assert (duration.amount, duration.unit, duration.business) == (2, "business_days", True)
    assert duration.seconds == 2 * 7 * 3600


def test_durations_are_immutable():
    duration = parse_duration("3 days")

    with pytest.raises(AttributeError):
        duration.amount = 4
    assert duration.amount == 3


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "expected '<number> <unit>'"),
        ("   ", "expected '<number> <unit>'"),
        ("days", "expected '<number> <unit>'"),
        ("2", "expected '<number> <unit>'"),
        ("2days", "expected '<number> <unit>'"),
        ("-2 days", "expected '<number> <unit>'"),
        ("+2 days", "expected '<number> <unit>'"),
        ("2 business days", "expected '<number> <unit>'"),
        ("two days", "expected '<number> <unit>'"),
        ("2 days 3 hours", "expected '<number> <unit>'"),
        (".5 days", "expected '<number> <unit>'"),
        ("1e3 days", "expected '<number> <unit>'"),
        ("2 fortnights", "unknown unit 'fortnights'"),
        ("2 business_weeks", "unknown unit 'business_weeks'"),
        ("2 seconds", "unknown unit 'seconds'"),
        ("2 dayss", "unknown unit 'dayss'"),
        ("0 days", "longer than zero"),
        ("0.0 business_hours", "longer than zero"),
        ("0.001 minutes", "longer than zero"),
        ("3651 days", "too long"),
        ("100000000000000000000 business_days", "too long"),
    ],
)
def test_it_rejects_malformed_durations_naming_the_text(text, fragment):
    with pytest.raises(DurationError) as caught:
        parse_duration(text)

    message = str(caught.value)
    assert repr(text) in message
    assert fragment in message


@pytest.mark.parametrize("value", [None, 2, 2.5, ["2 days"], {"days": 2}, b"2 days"])
def test_it_rejects_a_duration_that_is_not_text(value):
    with pytest.raises(DurationError, match="expected text such as '2 business_days'") as caught:
        parse_duration(value)

    assert repr(value) in str(caught.value)


def test_a_duration_error_is_a_value_error():
    with pytest.raises(ValueError, match="'soon'"):
        parse_duration("soon")


def test_the_longest_accepted_duration_is_ten_years():
    assert parse_duration("3650 days").seconds == MAX_DURATION_SECONDS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-25%", -0.25),
        ("0", 0.0),
        ("+100%", 1.0),
        ("50%", 0.5),
        ("-100%", -1.0),
        ("+0%", 0.0),
        ("-0", 0.0),
        ("12.5%", 0.125),
        (" +200% ", 2.0),
        ("-50 %", -0.5),
        (0, 0.0),
        (0.0, 0.0),
    ],
)
def test_it_parses_escalation_points(text, expected):
    offset = parse_offset(text)

    assert offset == pytest.approx(expected)
    assert isinstance(offset, float)


def test_a_negative_zero_offset_comes_back_as_plain_zero():
    assert str(parse_offset("-0%")) == "0.0"


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("", "write a percentage"),
        ("%", "write a percentage"),
        ("25", "needs a '%' sign"),
        ("-25", "needs a '%' sign"),
        ("0.5", "needs a '%' sign"),
        ("25%%", "write a percentage"),
        ("--25%", "write a percentage"),
        ("half", "write a percentage"),
        ("+100% later", "write a percentage"),
        ("-101%", "earlier than the start"),
        ("-250%", "earlier than the start"),
        (0.5, "write a percentage"),
        (1, "write a percentage"),
        (True, "write a percentage"),
        (None, "write a percentage"),
        (["-25%"], "write a percentage"),
    ],
)
def test_it_rejects_malformed_escalation_points_naming_the_text(value, fragment):
    with pytest.raises(DurationError) as caught:
        parse_offset(value)

    message = str(caught.value)
    assert repr(value) in message
    assert fragment in message
