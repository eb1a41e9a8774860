"""Benchmark of the business-calendar arithmetic (engine.calendar): prints operations per second.

Pure computation, no database: run it with ``.venv/bin/python bench/bench_calendar.py``. Each figure
is the best of 5 rounds of N calls, on varied start times spread over two years (so the per-year
working-day cache is warm, as in a running process); the cold-cache cost is printed separately.
"""

import os
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gup.settings")

import django

django.setup()

from engine import calendar  # noqa: E402
from engine.calendar import (  # noqa: E402
    CalendarSpec,
    add_duration,
    business_seconds_between,
)
from engine.durations import parse_duration  # noqa: E402

PARIS = ZoneInfo("Europe/Paris")
ROUNDS = 5
CALLS = 20_000


def starts(count):
    base = datetime(2026, 1, 1, 0, 0, tzinfo=PARIS)
    # Every 37 minutes and 13 seconds: lands on working time, evenings, weekends and holidays.
    return [base + timedelta(seconds=i * 2233) for i in range(count)]


def best_rate(label, function, moments):
    best = float("inf")
    for _ in range(ROUNDS):
        began = time.perf_counter()
        for moment in moments:
            function(moment)
        best = min(best, time.perf_counter() - began)
    per_call_us = best / len(moments) * 1e6
    print(f"{label:<58} {len(moments) / best:>12,.0f} ops/s  ({per_call_us:.2f} µs/op)")


def main():
    spec = CalendarSpec()
    moments = starts(CALLS)
    ten_days = parse_duration("10 business_days")
    two_hundred_days = parse_duration("200 business_days")
    month = timedelta(days=31)

    # Cold cache: the first call on a new calendar computes the working days of the years it spans.
    calendar._working_ordinals.cache_clear()
    calendar._holiday_set.cache_clear()
    began = time.perf_counter()
    add_duration(moments[0], ten_days, spec)
    print(f"{'first add_duration on a cold cache':<58} {(time.perf_counter() - began) * 1e3:>12.3f} ms")

    best_rate('add_duration(t, "10 business_days")', lambda t: add_duration(t, ten_days, spec), moments)
    best_rate(
        'add_duration(t, "200 business_days")', lambda t: add_duration(t, two_hundred_days, spec), moments
    )
    best_rate(
        "business_seconds_between(t, t + 31 days)",
        lambda t: business_seconds_between(t, t + month, spec),
        moments,
    )
    best_rate(
        "business_seconds_between(t, t + 2 years)",
        lambda t: business_seconds_between(t, t + timedelta(days=730), spec),
        moments,
    )


if __name__ == "__main__":
    main()
