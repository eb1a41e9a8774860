"""Business-calendar arithmetic: working days and hours, public holidays, closures.

Pure Python (the ``holidays`` package and ``zoneinfo``); no models, no Django settings needed.

Semantics
    - Working hours are wall-clock times in ``spec.tz``. Business time is measured on the wall clock:
      a working interval 8:30-12:00 is always 3.5 business hours, so a day crossing a daylight-saving
      change (in the night) still has its full working time. Every datetime is converted to
      ``spec.tz`` first, whatever its own time zone; results are aware datetimes in ``spec.tz``.
    - Working intervals are half-open: 12:00 is not working time on an 8:30-12:00 interval.
    - ``add_business_seconds(start, s)`` with ``s > 0`` returns the EARLIEST instant at which ``s``
      business seconds have elapsed since ``start`` (so "7 business hours" from Monday 8:30 is Monday
      17:00, not Tuesday 8:30). With ``s == 0`` it returns ``start`` itself when it is within working
      time, otherwise the next opening.
    - ``business_seconds_between(start, add_business_seconds(start, s)) == s`` for any ``s >= 0``.
    - Naive datetimes are refused with ``ValueError``.

Efficiency
    The working days of each (calendar, year) are computed once and cached as a sorted tuple of
    ordinals; jumping N working days or counting the working days between two dates is a binary
    search in it, so arithmetic costs the same for 2 or 200 business days. Holiday sets are cached per
    (country, year).
"""

from __future__ import annotations

import functools
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_package

from engine.durations import Duration, _

__all__ = [
    "DEFAULT_CALENDAR",
    "CalendarSpec",
    "add_business_seconds",
    "add_duration",
    "business_seconds_between",
    "day_length_seconds",
    "duration_seconds",
    "holiday_dates",
    "is_working_day",
    "next_opening",
]

_US_PER_SECOND = 1_000_000
_US_PER_DAY = 86_400 * _US_PER_SECOND
_MAX_YEAR_SCAN = 50  # years without a single working day before giving up (closures are finite)


def _time_to_us(value: time) -> int:
    return ((value.hour * 60 + value.minute) * 60 + value.second) * _US_PER_SECOND + value.microsecond


def _parse_time(value, what: str) -> time:
    if isinstance(value, time):
        if value.tzinfo is not None:
            raise ValueError(
                _("Invalid calendar: %(what)s must be a local time without time zone, got %(value)s.")
                % {"what": what, "value": value}
            )
        return value
    if isinstance(value, str):
        try:
            return time.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(
        _("Invalid calendar: %(what)s must be a time such as '08:30', got %(value)r.")
        % {"what": what, "value": value}
    )


def _parse_date(value) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(
        _("Invalid calendar: closure %(value)r is not a date such as '2026-08-14'.") % {"value": value}
    )


@dataclass(frozen=True)
class CalendarSpec:
    """A business calendar. Normalised and validated on creation (``ValueError`` with a clear message).

    ``weekdays``: working days of the week, 0 = Monday ... 6 = Sunday.
    ``hours``: working intervals of a working day, ordered and non-overlapping; each bound a
    ``datetime.time`` or text such as ``"08:30"``.
    ``holidays``: ``"FR"`` for the public holidays of metropolitan France (any other country code of
    the ``holidays`` package works the same way), or ``None`` for no public holidays.
    ``closures``: extra closed dates (``datetime.date`` or ISO text).
    ``tz``: the IANA time zone of the working hours.
    """

    weekdays: frozenset = frozenset({0, 1, 2, 3, 4})
    hours: tuple = ((time(8, 30), time(12, 0)), (time(13, 30), time(17, 0)))
    holidays: str | None = "FR"
    closures: frozenset = frozenset()
    tz: str = "Europe/Paris"
    # Derived, not part of equality: intervals in microseconds since midnight, the day length.
    _intervals: tuple = field(default=(), init=False, repr=False, compare=False)
    _day_us: int = field(default=0, init=False, repr=False, compare=False)
    _zone: ZoneInfo | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self):
        set_ = functools.partial(object.__setattr__, self)

        # Week days.
        if isinstance(self.weekdays, str | bytes) or not hasattr(self.weekdays, "__iter__"):
            raise ValueError(
                _("Invalid calendar: weekdays must be a list of day numbers (0 = Monday ... 6 = Sunday).")
            )
        weekdays = frozenset(self.weekdays)
        for day in weekdays:
            if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
                raise ValueError(
                    _(
                        "Invalid calendar: weekday %(day)r is not a day number "
                        "between 0 (Monday) and 6 (Sunday)."
                    )
                    % {"day": day}
                )
        if not weekdays:
            raise ValueError(_("Invalid calendar: it needs at least one working day in the week."))
        set_("weekdays", weekdays)

        # Working hours.
        if isinstance(self.hours, str | bytes) or not hasattr(self.hours, "__iter__"):
            raise ValueError(_("Invalid calendar: hours must be a list of (start, end) intervals."))
        hours = []
        for index, interval in enumerate(self.hours, start=1):
            try:
                start, end = interval
            except (TypeError, ValueError):
                raise ValueError(
                    _(
                        "Invalid calendar: working interval %(index)s (%(interval)r) "
                        "must be a (start, end) pair."
                    )
                    % {"index": index, "interval": interval}
                ) from None
            start = _parse_time(start, _("the start of working interval %(index)s") % {"index": index})
            end = _parse_time(end, _("the end of working interval %(index)s") % {"index": index})
            if not start < end:
                raise ValueError(
                    _(
                        "Invalid calendar: working interval %(index)s ends (%(end)s) "
                        "before it starts (%(start)s)."
                    )
                    % {"index": index, "start": start, "end": end}
                )
            if hours and start < hours[-1][1]:
                raise ValueError(
                    _(
                        "Invalid calendar: working interval %(index)s (%(start)s-%(end)s) overlaps or comes "
                        "before the previous one; intervals must be ordered and must not overlap."
                    )
                    % {"index": index, "start": start, "end": end}
                )
            hours.append((start, end))
        if not hours:
            raise ValueError(_("Invalid calendar: it needs at least one working interval in the day."))
        set_("hours", tuple(hours))
        intervals = tuple((_time_to_us(s), _time_to_us(e)) for s, e in hours)
        set_("_intervals", intervals)
        set_("_day_us", sum(e - s for s, e in intervals))

        # Public holidays.
        if self.holidays is not None:
            if not isinstance(self.holidays, str) or not self.holidays.strip():
                raise ValueError(
                    _("Invalid calendar: holidays must be a country code such as 'FR', or empty for none.")
                )
            code = self.holidays.strip().upper()
            if code not in holidays_package.list_supported_countries():
                raise ValueError(
                    _("Invalid calendar: no public holidays are known for country %(code)r.")
                    % {"code": self.holidays}
                )
            set_("holidays", code)

        # Closures.
        if isinstance(self.closures, str | bytes) or not hasattr(self.closures, "__iter__"):
            raise ValueError(_("Invalid calendar: closures must be a list of dates."))
        set_("closures", frozenset(_parse_date(value) for value in self.closures))

        # Time zone.
        try:
            zone = ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise ValueError(_("Invalid calendar: unknown time zone %(tz)r.") % {"tz": self.tz}) from None
        set_("_zone", zone)

    @classmethod
    def from_dict(cls, data: dict) -> CalendarSpec:
        """Build a spec from plain data (JSON/YAML): missing keys take the defaults."""
        if not isinstance(data, dict):
            raise ValueError(_("Invalid calendar: expected a mapping."))
        known = {"weekdays", "hours", "holidays", "closures", "tz"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(
                _("Invalid calendar: unknown key(s) %(keys)s (expected %(known)s).")
                % {"keys": ", ".join(map(str, unknown)), "known": ", ".join(sorted(known))}
            )
        return cls(**data)

    def to_dict(self) -> dict:
        """Plain data (JSON-serialisable) that ``from_dict`` reads back into an equal spec."""
        return {
            "weekdays": sorted(self.weekdays),
            "hours": [[s.isoformat(), e.isoformat()] for s, e in self.hours],
            "holidays": self.holidays,
            "closures": [d.isoformat() for d in sorted(self.closures)],
            "tz": self.tz,
        }


DEFAULT_CALENDAR = CalendarSpec()


# --- Cached lookups -------------------------------------------------------------------------------


@functools.lru_cache(maxsize=512)
def _holiday_set(code: str, year: int) -> frozenset[date]:
    # Country-level holidays only: for "FR", those of metropolitan France.
    return frozenset(holidays_package.country_holidays(code, years=year).keys())


def holiday_dates(spec: CalendarSpec, year: int) -> frozenset[date]:
    """The public holidays of ``year`` on this calendar (empty when ``spec.holidays`` is None)."""
    if spec.holidays is None:
        return frozenset()
    return _holiday_set(spec.holidays, year)


def _is_working(spec: CalendarSpec, d: date) -> bool:
    return d.weekday() in spec.weekdays and d not in spec.closures and d not in holiday_dates(spec, d.year)


@functools.lru_cache(maxsize=1024)
def _working_ordinals(spec: CalendarSpec, year: int) -> tuple[int, ...]:
    """Sorted ordinals of the working days of ``year``."""
    first = date(year, 1, 1).toordinal()
    last = date(year, 12, 31).toordinal()
    blocked = holiday_dates(spec, year) | spec.closures
    weekdays = spec.weekdays
    result = []
    for ordinal in range(first, last + 1):
        d = date.fromordinal(ordinal)
        if d.weekday() in weekdays and d not in blocked:
            result.append(ordinal)
    return tuple(result)


def _nth_working_day_after(spec: CalendarSpec, d: date, n: int) -> date:
    """The n-th working day strictly after ``d`` (n >= 1)."""
    ordinal = d.toordinal()
    year = d.year
    empty_years = 0
    while True:
        if year > 9999:
            raise OverflowError(_("Business date beyond the year 9999."))
        days = _working_ordinals(spec, year)
        index = bisect_right(days, ordinal)
        available = len(days) - index
        if n <= available:
            return date.fromordinal(days[index + n - 1])
        n -= available
        empty_years = empty_years + 1 if not days else 0
        if empty_years > _MAX_YEAR_SCAN:
            raise ValueError(
                _("Invalid calendar: no working day at all in %(n)s years.") % {"n": _MAX_YEAR_SCAN}
            )
        year += 1


def _count_working_days_strictly_between(spec: CalendarSpec, lo: date, hi: date) -> int:
    lo_ordinal, hi_ordinal = lo.toordinal(), hi.toordinal()
    if hi_ordinal - lo_ordinal < 2:
        return 0
    total = 0
    for year in range(lo.year, hi.year + 1):
        days = _working_ordinals(spec, year)
        total += bisect_left(days, hi_ordinal) - bisect_right(days, lo_ordinal)
    return total


# --- Helpers on datetimes -------------------------------------------------------------------------


def _require_aware(value, name: str) -> None:
    if not isinstance(value, datetime):
        raise TypeError(_("%(name)s must be a datetime, got %(value)r.") % {"name": name, "value": value})
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            _("%(name)s must be a timezone-aware datetime, got the naive %(value)s.")
            % {"name": name, "value": value.isoformat()}
        )


def _to_wall(value: datetime, spec: CalendarSpec) -> tuple[date, int]:
    """The local date in ``spec.tz`` and the wall-clock microseconds since its midnight."""
    local = value.astimezone(spec._zone)
    return local.date(), _time_to_us(local.time())


def _from_wall(d: date, us: int, spec: CalendarSpec) -> datetime:
    """The aware datetime in ``spec.tz`` for a local date and wall-clock microseconds."""
    naive = datetime(d.year, d.month, d.day) + timedelta(microseconds=us)
    # Round trip through UTC normalises a wall time that does not exist (spring-forward gap).
    return naive.replace(tzinfo=spec._zone).astimezone(UTC).astimezone(spec._zone)


# --- Public API -----------------------------------------------------------------------------------


def is_working_day(d: date, spec: CalendarSpec = DEFAULT_CALENDAR) -> bool:
    """Whether ``d`` is a working day (an aware datetime is taken at its local date in ``spec.tz``)."""
    if isinstance(d, datetime):
        _require_aware(d, "d")
        d = d.astimezone(spec._zone).date()
    elif not isinstance(d, date):
        raise TypeError(_("d must be a date, got %(value)r.") % {"value": d})
    return _is_working(spec, d)


def day_length_seconds(spec: CalendarSpec = DEFAULT_CALENDAR) -> int:
    """Working seconds in one working day (25,200 = 7 h for the default calendar)."""
    return spec._day_us // _US_PER_SECOND


def next_opening(dt: datetime, spec: CalendarSpec = DEFAULT_CALENDAR) -> datetime:
    """The earliest instant at or after ``dt`` within working time, in ``spec.tz``.

    That is ``dt`` itself when it is within working time, otherwise the start of the next working
    interval (after the lunch break, the next morning, after a weekend or a holiday).
    """
    _require_aware(dt, "dt")
    d, now = _to_wall(dt, spec)
    if _is_working(spec, d):
        for start, end in spec._intervals:
            if now < start:
                return _from_wall(d, start, spec)
            if now < end:
                return dt.astimezone(spec._zone)
    return _from_wall(_nth_working_day_after(spec, d, 1), spec._intervals[0][0], spec)


def add_business_seconds(
    start: datetime, seconds: int | float, spec: CalendarSpec = DEFAULT_CALENDAR
) -> datetime:
    """The earliest instant at which ``seconds`` business seconds have elapsed since ``start``.

    ``seconds == 0`` gives ``start`` when within working time, else the next opening. The result is
    in ``spec.tz``. Negative amounts are refused.
    """
    _require_aware(start, "start")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise TypeError(_("seconds must be a number, got %(value)r.") % {"value": seconds})
    if not seconds >= 0:  # also refuses NaN
        raise ValueError(_("seconds must be zero or positive, got %(value)r.") % {"value": seconds})
    if seconds == 0:
        return next_opening(start, spec)
    remaining = round(seconds * _US_PER_SECOND)
    d, now = _to_wall(start, spec)

    # Rest of the start day.
    if _is_working(spec, d):
        for interval_start, interval_end in spec._intervals:
            if now >= interval_end:
                continue
            begin = max(interval_start, now)
            available = interval_end - begin
            if remaining <= available:
                return _from_wall(d, begin + remaining, spec)
            remaining -= available

    # Whole working days, then the part of the last day.
    full_days, last_part = divmod(remaining - 1, spec._day_us)
    last_part += 1  # in (0, day length]
    last_day = _nth_working_day_after(spec, d, full_days + 1)
    for interval_start, interval_end in spec._intervals:
        available = interval_end - interval_start
        if last_part <= available:
            return _from_wall(last_day, interval_start + last_part, spec)
        last_part -= available
    raise AssertionError("unreachable: the last part fits in one working day")  # pragma: no cover


def _worked_in_day(spec: CalendarSpec, lo: int, hi: int) -> int:
    """Working microseconds between two wall-clock times of one working day."""
    total = 0
    for start, end in spec._intervals:
        overlap = min(end, hi) - max(start, lo)
        if overlap > 0:
            total += overlap
    return total


def business_seconds_between(start: datetime, end: datetime, spec: CalendarSpec = DEFAULT_CALENDAR) -> int:
    """Business seconds elapsed from ``start`` to ``end`` (whole seconds, rounded down; 0 if end <= start)."""
    _require_aware(start, "start")
    _require_aware(end, "end")
    if end <= start:
        return 0
    start_day, start_us = _to_wall(start, spec)
    end_day, end_us = _to_wall(end, spec)
    if (end_day, end_us) <= (start_day, start_us):  # inside a repeated hour when clocks go back
        return 0
    if start_day == end_day:
        total = _worked_in_day(spec, start_us, end_us) if _is_working(spec, start_day) else 0
    else:
        total = _count_working_days_strictly_between(spec, start_day, end_day) * spec._day_us
        if _is_working(spec, start_day):
            total += _worked_in_day(spec, start_us, _US_PER_DAY)
        if _is_working(spec, end_day):
            total += _worked_in_day(spec, 0, end_us)
    return total // _US_PER_SECOND


def duration_seconds(duration: Duration, spec: CalendarSpec = DEFAULT_CALENDAR) -> int:
    """Seconds of ``duration`` on this calendar: business seconds for business units (a business day
    is ``day_length_seconds(spec)``), elapsed seconds otherwise."""
    if duration.unit == "business_days":
        return round(duration.amount * spec._day_us / _US_PER_SECOND)
    return duration.seconds


def add_duration(start: datetime, duration: Duration, spec: CalendarSpec = DEFAULT_CALENDAR) -> datetime:
    """``start`` plus ``duration``: business units on the calendar, plain units as elapsed time
    (a timedelta added in UTC, so "1 days" across a daylight-saving change is 24 real hours).
    The result is in ``spec.tz``."""
    _require_aware(start, "start")
    if not isinstance(duration, Duration):
        raise TypeError(_("duration must be a Duration, got %(value)r.") % {"value": duration})
    if duration.business:
        return add_business_seconds(start, duration_seconds(duration, spec), spec)
    return (start.astimezone(UTC) + timedelta(seconds=duration.seconds)).astimezone(spec._zone)
