"""Business-calendar arithmetic (engine.calendar): weekends, French public holidays, closures, lunch
breaks, daylight-saving changes in Europe/Paris, and spec validation.

Dates used: 2026-05-01 (Friday, Labour Day), 2026-05-08 (Friday, Victory Day), 2026-05-14 (Thursday,
Ascension), 2026-05-25 (Whit Monday), 2026-12-25 (Friday), 2027-01-01 (Friday); daylight saving starts
on Sunday 2026-03-29 and ends on Sunday 2026-10-25.
"""

import random
from dataclasses import FrozenInstanceError
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from engine.calendar import (
    DEFAULT_CALENDAR,
    CalendarSpec,
    add_business_seconds,
    add_duration,
    business_seconds_between,
    day_length_seconds,
    duration_seconds,
    holiday_dates,
    is_working_day,
    next_opening,
)
from engine.durations import parse_duration

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
HOUR = 3600
DAY = 7 * HOUR  # the default calendar's working day
NO_HOLIDAYS = CalendarSpec(holidays=None)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def paris(*args):
    return datetime(*args, tzinfo=PARIS)


# --- A slow, obviously-correct reference: walks every calendar day --------------------------------


def reference_between(start, end, spec):
    """Business seconds from start to end by visiting every day and every interval."""
    zone = ZoneInfo(spec.tz)
    start_local = start.astimezone(zone).replace(tzinfo=None)
    end_local = end.astimezone(zone).replace(tzinfo=None)
    total = timedelta()
    day = start_local.date()
    while day <= end_local.date():
        if is_working_day(day, spec):
            for opening, closing in spec.hours:
                lo = max(datetime.combine(day, opening), start_local)
                hi = min(datetime.combine(day, closing), end_local)
                if hi > lo:
                    total += hi - lo
        day += timedelta(days=1)
    return int(total.total_seconds())


# --- Working days ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 4, 30), True),  # Thursday
        (date(2026, 5, 1), False),  # Friday, Labour Day
        (date(2026, 5, 2), False),  # Saturday
        (date(2026, 5, 3), False),  # Sunday
        (date(2026, 5, 4), True),  # Monday
        (date(2026, 5, 8), False),  # Friday, Victory Day
        (date(2026, 5, 14), False),  # Ascension
        (date(2026, 5, 25), False),  # Whit Monday
        (date(2026, 7, 14), False),  # National Day
        (date(2026, 12, 25), False),  # Christmas
        (date(2026, 12, 24), True),  # Thursday before Christmas
        (date(2026, 12, 26), False),  # Saturday: St Stephen is only a holiday in Alsace-Moselle
        (date(2027, 1, 1), False),  # New Year's Day
        (date(2026, 4, 3), True),  # Good Friday: not a holiday in metropolitan France outside Alsace-Moselle
    ],
)
def test_it_knows_weekends_and_the_french_public_holidays(day, expected):
    assert is_working_day(day, DEFAULT_CALENDAR) is expected


def test_it_uses_the_public_holidays_of_metropolitan_france():
    holidays_2026 = holiday_dates(DEFAULT_CALENDAR, 2026)

    assert len(holidays_2026) == 11
    assert {date(2026, 5, 1), date(2026, 5, 14), date(2026, 5, 25), date(2026, 12, 25)} <= holidays_2026
    assert holiday_dates(NO_HOLIDAYS, 2026) == frozenset()


def test_a_calendar_without_public_holidays_works_on_them():
    assert is_working_day(date(2026, 5, 14), NO_HOLIDAYS) is True
    assert is_working_day(date(2026, 5, 16), NO_HOLIDAYS) is False  # still a Saturday


def test_extra_closure_days_are_not_working_days():
    spec = CalendarSpec(closures=frozenset({date(2026, 5, 15), "2026-08-14"}))

    assert is_working_day(date(2026, 5, 15), spec) is False
    assert is_working_day(date(2026, 8, 14), spec) is False
    assert is_working_day(date(2026, 5, 15), DEFAULT_CALENDAR) is True
    assert spec.closures == frozenset({date(2026, 5, 15), date(2026, 8, 14)})


def test_it_takes_an_aware_datetime_at_its_local_date():
    # 23:30 UTC on Thursday 2026-04-30 is already Friday 1 May (a holiday) in Paris.
    assert is_working_day(datetime(2026, 4, 30, 23, 30, tzinfo=UTC), DEFAULT_CALENDAR) is False
    assert is_working_day(datetime(2026, 4, 30, 21, 30, tzinfo=UTC), DEFAULT_CALENDAR) is True


def test_the_default_day_lasts_seven_hours_and_a_custom_one_its_own_length():
    eight_hours = CalendarSpec(hours=(("08:00", "12:00"), ("13:00", "17:00")))

    assert day_length_seconds(DEFAULT_CALENDAR) == 7 * HOUR
    assert day_length_seconds(eight_hours) == 8 * HOUR


# --- next_opening ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (paris(2026, 4, 30, 10, 15), paris(2026, 4, 30, 10, 15)),  # within working time: itself
        (paris(2026, 4, 30, 7, 0), paris(2026, 4, 30, 8, 30)),  # before opening
        (paris(2026, 4, 30, 12, 0), paris(2026, 4, 30, 13, 30)),  # lunch break starts
        (paris(2026, 4, 30, 12, 45), paris(2026, 4, 30, 13, 30)),  # during the lunch break
        (paris(2026, 4, 30, 17, 0), paris(2026, 5, 4, 8, 30)),  # Thursday evening: Friday is 1 May
        (paris(2026, 5, 1, 9, 0), paris(2026, 5, 4, 8, 30)),  # on a holiday
        (paris(2026, 5, 9, 11, 0), paris(2026, 5, 11, 8, 30)),  # Saturday
        (paris(2026, 12, 31, 18, 0), paris(2027, 1, 4, 8, 30)),  # over New Year's Day and a weekend
    ],
)
def test_next_opening_is_the_moment_itself_or_the_start_of_the_next_working_interval(moment, expected):
    result = next_opening(moment, DEFAULT_CALENDAR)

    assert result == expected
    assert result.tzinfo == PARIS


# --- add_business_seconds / add_duration ----------------------------------------------------------


def test_one_business_day_later_is_the_same_time_on_the_next_working_day():
    assert add_duration(paris(2026, 4, 28, 10, 0), parse_duration("1 business_day")) == paris(
        2026, 4, 29, 10, 0
    )


def test_adding_across_a_weekend_skips_saturday_and_sunday():
    start = paris(2026, 6, 5, 16, 0)  # Friday

    assert add_business_seconds(start, 2 * HOUR, DEFAULT_CALENDAR) == paris(2026, 6, 8, 9, 30)
    assert add_duration(start, parse_duration("2 business_days")) == paris(2026, 6, 9, 16, 0)


def test_adding_across_may_holidays_skips_each_of_them():
    # Thursday 30 April 10:00 + 2 business days: Friday 1 May (holiday), weekend -> Tuesday 5 May.
    assert add_duration(paris(2026, 4, 30, 10, 0), parse_duration("2 business_days")) == paris(
        2026, 5, 5, 10, 0
    )
    # Wednesday 13 May 15:00 + 1 business day: Ascension Thursday -> Friday 15 May.
    assert add_duration(paris(2026, 5, 13, 15, 0), parse_duration("1 business_day")) == paris(
        2026, 5, 15, 15, 0
    )
    # Friday 22 May 11:00 + 1 business day: weekend and Whit Monday -> Tuesday 26 May.
    assert add_duration(paris(2026, 5, 22, 11, 0), parse_duration("1 business_day")) == paris(
        2026, 5, 26, 11, 0
    )


def test_adding_across_christmas_and_new_year():
    # Thursday 24 Dec 14:00: Christmas (Friday) and the weekend are skipped, then 28, 29, 30 Dec;
    # further on, 31 Dec, New Year's Day (Friday) and the weekend skipped, then 4 and 5 Jan.
    start = paris(2026, 12, 24, 14, 0)

    assert add_duration(start, parse_duration("3 business_days")) == paris(2026, 12, 30, 14, 0)
    assert add_duration(start, parse_duration("6 business_days")) == paris(2027, 1, 5, 14, 0)


def test_a_calendar_without_holidays_counts_the_holiday_as_a_working_day():
    assert add_duration(paris(2026, 4, 30, 10, 0), parse_duration("1 business_day"), NO_HOLIDAYS) == paris(
        2026, 5, 1, 10, 0
    )


def test_adding_across_an_extra_closure_day_skips_it():
    spec = CalendarSpec(closures=frozenset({date(2026, 5, 15)}))  # the "pont" after Ascension

    assert add_duration(paris(2026, 5, 13, 15, 0), parse_duration("1 business_day"), spec) == paris(
        2026, 5, 18, 15, 0
    )


def test_adding_from_outside_working_hours_starts_at_the_next_opening():
    assert add_business_seconds(paris(2026, 6, 2, 6, 0), HOUR, DEFAULT_CALENDAR) == paris(2026, 6, 2, 9, 30)
    assert add_business_seconds(paris(2026, 6, 2, 19, 0), HOUR, DEFAULT_CALENDAR) == paris(2026, 6, 3, 9, 30)
    assert add_business_seconds(paris(2026, 6, 6, 10, 0), HOUR, DEFAULT_CALENDAR) == paris(2026, 6, 8, 9, 30)


def test_adding_from_a_holiday_starts_on_the_next_working_day():
    start = paris(2026, 5, 14, 10, 0)  # Ascension Thursday

    assert add_duration(start, parse_duration("4 business_hours")) == paris(2026, 5, 15, 14, 0)
    assert add_duration(start, parse_duration("1 business_day")) == paris(2026, 5, 15, 17, 0)


def test_adding_from_the_lunch_break_starts_at_the_afternoon_opening():
    assert add_duration(paris(2026, 6, 2, 12, 30), parse_duration("30 business_minutes")) == paris(
        2026, 6, 2, 14, 0
    )


def test_adding_over_the_lunch_break_jumps_it():
    assert add_business_seconds(paris(2026, 6, 2, 11, 0), 2 * HOUR, DEFAULT_CALENDAR) == paris(
        2026, 6, 2, 14, 30
    )


def test_the_result_is_the_earliest_instant_so_a_full_day_ends_at_closing_time():
    assert add_duration(paris(2026, 6, 2, 8, 30), parse_duration("1 business_day")) == paris(
        2026, 6, 2, 17, 0
    )
    assert add_business_seconds(paris(2026, 6, 2, 8, 30), 3.5 * HOUR, DEFAULT_CALENDAR) == paris(
        2026, 6, 2, 12, 0
    )


def test_adding_zero_returns_the_start_within_working_time_and_the_next_opening_otherwise():
    within = paris(2026, 6, 2, 10, 7, 30)

    assert add_business_seconds(within, 0, DEFAULT_CALENDAR) == within
    assert add_business_seconds(paris(2026, 6, 2, 12, 0), 0, DEFAULT_CALENDAR) == paris(2026, 6, 2, 13, 30)
    assert add_business_seconds(paris(2026, 5, 1, 9, 0), 0, DEFAULT_CALENDAR) == paris(2026, 5, 4, 8, 30)


def test_it_accepts_a_start_in_any_time_zone_and_answers_in_the_calendar_time_zone():
    start = datetime(2026, 6, 2, 4, 0, tzinfo=NEW_YORK)  # 10:00 in Paris

    result = add_business_seconds(start, HOUR, DEFAULT_CALENDAR)

    assert result == paris(2026, 6, 2, 11, 0)
    assert result.tzinfo == PARIS
    assert result.utcoffset() == timedelta(hours=2)


def test_a_custom_calendar_uses_its_own_day_length_for_business_days():
    spec = CalendarSpec(hours=((time(8), time(12)), (time(13), time(17))), holidays=None)
    duration = parse_duration("1 business_day")

    assert duration_seconds(duration, spec) == 8 * HOUR
    assert add_duration(paris(2026, 6, 2, 9, 0), duration, spec) == paris(2026, 6, 3, 9, 0)


def test_a_calendar_open_on_saturday_works_on_saturday():
    spec = CalendarSpec(weekdays=frozenset({0, 1, 2, 3, 4, 5}), holidays=None)

    assert add_duration(paris(2026, 6, 5, 16, 0), parse_duration("1 business_day"), spec) == paris(
        2026, 6, 6, 16, 0
    )


def test_two_hundred_business_days_match_the_day_by_day_reference():
    start = paris(2026, 4, 30, 10, 0)

    result = add_duration(start, parse_duration("200 business_days"))

    assert result == paris(2027, 2, 16, 10, 0)
    assert reference_between(start, result, DEFAULT_CALENDAR) == 200 * DAY


def test_plain_durations_are_elapsed_time_ignoring_the_calendar():
    start = paris(2026, 5, 1, 10, 0)  # a holiday: irrelevant for plain durations

    assert add_duration(start, parse_duration("12 hours")) == paris(2026, 5, 1, 22, 0)
    assert add_duration(start, parse_duration("45 minutes")) == paris(2026, 5, 1, 10, 45)
    assert add_duration(start, parse_duration("3 days")) == paris(2026, 5, 4, 10, 0)
    assert add_duration(start, parse_duration("1 week")) == paris(2026, 5, 8, 10, 0)
    assert add_duration(start, parse_duration("1 week")).tzinfo == PARIS


# --- Daylight saving ------------------------------------------------------------------------------


def test_plain_days_across_the_spring_change_are_real_elapsed_hours():
    # 24 real hours after Saturday 28 March 12:00 CET is Sunday 13:00 CEST on the wall clock.
    assert add_duration(paris(2026, 3, 28, 12, 0), parse_duration("1 day")) == paris(2026, 3, 29, 13, 0)


def test_plain_days_across_the_autumn_change_are_real_elapsed_hours():
    assert add_duration(paris(2026, 10, 24, 12, 0), parse_duration("1 day")) == paris(2026, 10, 25, 11, 0)


def test_business_time_across_the_spring_change_keeps_wall_clock_hours():
    friday = paris(2026, 3, 27, 16, 0)  # CET, UTC+1
    monday = paris(2026, 3, 30, 16, 0)  # CEST, UTC+2

    assert add_duration(friday, parse_duration("1 business_day")) == monday
    assert add_business_seconds(friday, 2 * HOUR, DEFAULT_CALENDAR) == paris(2026, 3, 30, 9, 30)
    assert business_seconds_between(friday, monday, DEFAULT_CALENDAR) == DAY
    # One real hour fewer, the same business time.
    assert monday.astimezone(UTC) - friday.astimezone(UTC) == timedelta(days=3, hours=-1)


def test_business_time_across_the_autumn_change_keeps_wall_clock_hours():
    friday = paris(2026, 10, 23, 9, 0)  # CEST, UTC+2
    monday = paris(2026, 10, 26, 9, 0)  # CET, UTC+1

    assert add_duration(friday, parse_duration("1 business_day")) == monday
    assert business_seconds_between(friday, monday, DEFAULT_CALENDAR) == DAY
    assert monday.astimezone(UTC) - friday.astimezone(UTC) == timedelta(days=3, hours=1)


def test_a_calendar_working_on_sunday_keeps_seven_hours_on_the_days_of_the_changes():
    every_day = CalendarSpec(weekdays=frozenset(range(7)), holidays=None)
    for sunday in (date(2026, 3, 29), date(2026, 10, 25)):
        opening = datetime.combine(sunday, time(8, 30), tzinfo=PARIS)
        closing = datetime.combine(sunday, time(17, 0), tzinfo=PARIS)
        midnight_before = datetime.combine(sunday, time(0), tzinfo=PARIS)
        midnight_after = datetime.combine(sunday + timedelta(days=1), time(0), tzinfo=PARIS)

        assert business_seconds_between(midnight_before, midnight_after, every_day) == DAY
        assert add_business_seconds(midnight_before, DAY, every_day) == closing
        assert add_business_seconds(opening, DAY, every_day) == closing


def test_working_hours_inside_the_skipped_hour_are_normalised_to_real_instants():
    night = CalendarSpec(weekdays=frozenset(range(7)), hours=(("01:00", "04:00"),), holidays=None)

    # 02:30 does not exist on 29 March 2026: the result is a real instant (03:30 CEST).
    result = add_business_seconds(paris(2026, 3, 29, 1, 0), 1.5 * HOUR, night)

    assert result == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert (result.hour, result.minute) == (3, 30)


# --- business_seconds_between ---------------------------------------------------------------------


def test_elapsed_business_time_is_zero_when_end_is_not_after_start():
    moment = paris(2026, 6, 2, 10, 0)

    assert business_seconds_between(moment, moment, DEFAULT_CALENDAR) == 0
    assert business_seconds_between(moment, moment - timedelta(hours=5), DEFAULT_CALENDAR) == 0


def test_elapsed_business_time_within_a_day_skips_the_lunch_break():
    assert business_seconds_between(paris(2026, 6, 2, 11, 0), paris(2026, 6, 2, 14, 0), DEFAULT_CALENDAR) == (
        1.5 * HOUR
    )


def test_elapsed_business_time_on_a_holiday_or_weekend_is_zero():
    assert business_seconds_between(paris(2026, 5, 1, 8, 0), paris(2026, 5, 3, 20, 0), DEFAULT_CALENDAR) == 0


def test_elapsed_business_time_over_a_month_counts_working_days_only():
    # May 2026: 21 weekdays minus 1, 8, 14 and 25 May = 17 working days.
    start = paris(2026, 5, 1, 0, 0)
    end = paris(2026, 6, 1, 0, 0)

    assert business_seconds_between(start, end, DEFAULT_CALENDAR) == 17 * DAY


def test_elapsed_business_time_across_a_year_end_matches_the_reference():
    start = paris(2026, 12, 23, 15, 20)
    end = paris(2027, 1, 5, 9, 10)

    assert business_seconds_between(start, end, DEFAULT_CALENDAR) == reference_between(
        start, end, DEFAULT_CALENDAR
    )
    # 23 Dec: 1h40, 24, 28, 29, 30, 31 Dec and 4 Jan: 6 days, 5 Jan: 40 min.
    assert business_seconds_between(start, end, DEFAULT_CALENDAR) == 6 * DAY + 100 * 60 + 40 * 60


def test_elapsed_business_time_skips_extra_closures():
    spec = CalendarSpec(closures=frozenset({date(2026, 6, 3)}))

    assert business_seconds_between(paris(2026, 6, 2, 10, 0), paris(2026, 6, 4, 10, 0), spec) == DAY
    assert business_seconds_between(paris(2026, 6, 2, 10, 0), paris(2026, 6, 4, 10, 0), DEFAULT_CALENDAR) == (
        2 * DAY
    )


def test_elapsed_business_time_accepts_mixed_time_zones():
    start = datetime(2026, 6, 2, 8, 0, tzinfo=UTC)  # 10:00 Paris
    end = datetime(2026, 6, 2, 5, 0, tzinfo=NEW_YORK)  # 11:00 Paris

    assert business_seconds_between(start, end, DEFAULT_CALENDAR) == HOUR


# --- Properties -----------------------------------------------------------------------------------


def _random_working_moments(rng, count):
    moments = []
    while len(moments) < count:
        day = date(2026, 1, 1) + timedelta(days=rng.randrange(0, 730))
        if not is_working_day(day, DEFAULT_CALENDAR):
            continue
        opening, closing = rng.choice(DEFAULT_CALENDAR.hours)
        span = int((datetime.combine(day, closing) - datetime.combine(day, opening)).total_seconds())
        moments.append(datetime.combine(day, opening, tzinfo=PARIS) + timedelta(seconds=rng.randrange(span)))
    return moments


def test_elapsed_time_after_adding_is_what_was_added():
    rng = random.Random(20260329)
    amounts = [0, 1, 59, 3600, DAY - 1, DAY, DAY + 1, 3 * DAY + 1234, 40 * DAY, 260 * DAY + 17]
    amounts += [rng.randrange(1, 120 * DAY) for _ in range(200)]
    for start in _random_working_moments(rng, 40):
        for seconds in amounts:
            assert (
                business_seconds_between(start, add_business_seconds(start, seconds), DEFAULT_CALENDAR)
                == seconds
            ), (
                start,
                seconds,
            )


def test_adding_gives_the_earliest_instant_with_the_reference_elapsed_time():
    rng = random.Random(7)
    starts = [
        *_random_working_moments(rng, 30),
        paris(2026, 3, 28, 3, 0),  # a weekend with the spring change
        paris(2026, 10, 23, 16, 59),  # Friday before the autumn change
        paris(2026, 5, 13, 12, 10),  # lunch break before Ascension
    ]
    for start in starts:
        for seconds in (1, rng.randrange(1, DAY), rng.randrange(DAY, 15 * DAY)):
            result = add_business_seconds(start, seconds, DEFAULT_CALENDAR)
            assert reference_between(start, result, DEFAULT_CALENDAR) == seconds, (start, seconds)
            earlier = result - timedelta(seconds=1)
            assert reference_between(start, earlier, DEFAULT_CALENDAR) == seconds - 1, (start, seconds)


def test_elapsed_time_matches_the_reference_for_random_intervals():
    rng = random.Random(11)
    base = paris(2026, 1, 1, 0, 0)
    for _ in range(200):
        start = base + timedelta(minutes=rng.randrange(0, 730 * 24 * 60))
        end = start + timedelta(minutes=rng.randrange(0, 60 * 24 * 60))
        assert business_seconds_between(start, end, DEFAULT_CALENDAR) == reference_between(
            start, end, DEFAULT_CALENDAR
        ), (start, end)


# --- Refusals -------------------------------------------------------------------------------------


def test_it_refuses_naive_datetimes_everywhere():
    naive = datetime(2026, 6, 2, 10, 0)
    aware = paris(2026, 6, 2, 10, 0)
    calls = [
        lambda: add_business_seconds(naive, 60, DEFAULT_CALENDAR),
        lambda: add_duration(naive, parse_duration("1 business_day"), DEFAULT_CALENDAR),
        lambda: business_seconds_between(naive, aware, DEFAULT_CALENDAR),
        lambda: business_seconds_between(aware, naive, DEFAULT_CALENDAR),
        lambda: next_opening(naive, DEFAULT_CALENDAR),
        lambda: is_working_day(naive, DEFAULT_CALENDAR),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="timezone-aware"):
            call()


def test_it_refuses_negative_or_non_numeric_amounts():
    start = paris(2026, 6, 2, 10, 0)

    with pytest.raises(ValueError, match="zero or positive"):
        add_business_seconds(start, -1, DEFAULT_CALENDAR)
    with pytest.raises(ValueError, match="zero or positive"):
        add_business_seconds(start, float("nan"), DEFAULT_CALENDAR)
    with pytest.raises(TypeError, match="must be a number"):
        add_business_seconds(start, "60", DEFAULT_CALENDAR)
    with pytest.raises(TypeError, match="must be a Duration"):
        add_duration(start, "1 business_day", DEFAULT_CALENDAR)
    with pytest.raises(TypeError, match="must be a datetime"):
        add_business_seconds(date(2026, 6, 2), 60, DEFAULT_CALENDAR)


# --- Specs ----------------------------------------------------------------------------------------


def test_the_default_spec_is_the_french_office_calendar():
    spec = CalendarSpec()

    assert spec == DEFAULT_CALENDAR
    assert spec.weekdays == frozenset({0, 1, 2, 3, 4})
    assert spec.hours == ((time(8, 30), time(12, 0)), (time(13, 30), time(17, 0)))
    assert (spec.holidays, spec.closures, spec.tz) == ("FR", frozenset(), "Europe/Paris")


def test_specs_are_immutable_hashable_and_normalised():
    spec = CalendarSpec(
        weekdays=[4, 0, 1, 2, 3], hours=[["08:30", "12:00"], ["13:30", "17:00"]], holidays="fr"
    )

    assert spec == DEFAULT_CALENDAR
    assert hash(spec) == hash(DEFAULT_CALENDAR)
    with pytest.raises(FrozenInstanceError):
        spec.tz = "UTC"


def test_a_spec_round_trips_through_plain_data():
    spec = CalendarSpec(
        weekdays=frozenset({0, 1, 2, 3}),
        hours=((time(9), time(12)),),
        holidays=None,
        closures=frozenset({date(2026, 8, 14)}),
        tz="Europe/Brussels",
    )

    data = spec.to_dict()

    assert data == {
        "weekdays": [0, 1, 2, 3],
        "hours": [["09:00:00", "12:00:00"]],
        "holidays": None,
        "closures": ["2026-08-14"],
        "tz": "Europe/Brussels",
    }
    assert CalendarSpec.from_dict(data) == spec
    assert CalendarSpec.from_dict({}) == DEFAULT_CALENDAR


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"weekdays": frozenset()}, "at least one working day"),
        ({"weekdays": [7]}, "weekday 7 is not a day number"),
        ({"weekdays": [-1]}, "weekday -1 is not a day number"),
        ({"weekdays": ["monday"]}, "weekday 'monday' is not a day number"),
        ({"weekdays": [True]}, "weekday True is not a day number"),
        ({"weekdays": "01234"}, "weekdays must be a list"),
        ({"weekdays": 5}, "weekdays must be a list"),
        ({"hours": ()}, "at least one working interval"),
        ({"hours": "08:30-17:00"}, "hours must be a list"),
        (
            {"hours": ((time(12), time(8, 30)),)},
            "working interval 1 ends (08:30:00) before it starts (12:00:00)",
        ),
        ({"hours": ((time(9), time(9)),)}, "working interval 1 ends"),
        (
            {"hours": ((time(8, 30), time(12)), (time(11), time(17)))},
            "working interval 2 (11:00:00-17:00:00) overlaps or comes before the previous one",
        ),
        (
            {"hours": ((time(13, 30), time(17)), (time(8, 30), time(12)))},
            "working interval 2 (08:30:00-12:00:00) overlaps or comes before the previous one",
        ),
        ({"hours": ((time(8, 30),),)}, "working interval 1"),
        ({"hours": (("8h30", "12:00"),)}, "the start of working interval 1 must be a time such as '08:30'"),
        ({"hours": (("08:30", None),)}, "the end of working interval 1 must be a time"),
        ({"hours": ((time(8, tzinfo=UTC), time(12)),)}, "without time zone"),
        ({"holidays": "XX"}, "no public holidays are known for country 'XX'"),
        ({"holidays": ""}, "holidays must be a country code"),
        ({"holidays": 33}, "holidays must be a country code"),
        ({"closures": ["2026-02-30"]}, "closure '2026-02-30' is not a date"),
        ({"closures": [datetime(2026, 8, 14, 0, 0)]}, "is not a date"),
        ({"closures": "2026-08-14"}, "closures must be a list of dates"),
        ({"tz": "Europe/Lutetia"}, "unknown time zone 'Europe/Lutetia'"),
        ({"tz": ""}, "unknown time zone ''"),
    ],
)
def test_it_rejects_invalid_specs_with_a_clear_message(kwargs, fragment):
    with pytest.raises(ValueError) as caught:
        CalendarSpec(**kwargs)

    assert "Invalid calendar" in str(caught.value)
    assert fragment in str(caught.value)


def test_it_rejects_unknown_keys_in_plain_data():
    with pytest.raises(ValueError, match=r"unknown key\(s\) workdays"):
        CalendarSpec.from_dict({"workdays": [0, 1]})
    with pytest.raises(ValueError, match="expected a mapping"):
        CalendarSpec.from_dict(["FR"])


def test_touching_intervals_are_accepted_as_one_continuous_period():
    spec = CalendarSpec(hours=(("08:00", "12:00"), ("12:00", "16:00")), holidays=None)

    assert day_length_seconds(spec) == 8 * HOUR
    assert add_business_seconds(paris(2026, 6, 2, 11, 0), 2 * HOUR, spec) == paris(2026, 6, 2, 13, 0)
