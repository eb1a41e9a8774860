"""Deadlines on business calendars: start, weekend, holiday, daylight saving, pause and resume, stop."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from engine.actions import do_fire_transition
from engine.models import BusinessCalendar, ClosureDay, Deadline, EscalationPoint
from tests.engine.helpers import open_case, publish

PARIS = ZoneInfo("Europe/Paris")
pytestmark = pytest.mark.django_db


def at(*args):
    return datetime(*args, tzinfo=PARIS)


def deadline(case, kind):
    return Deadline.objects.get(case=case, kind=kind, state__in=["running", "paused"])


def fire_times(d):
    return list(
        EscalationPoint.objects.filter(deadline=d).order_by("index").values_list("fire_at", flat=True)
    )


def test_a_deadline_runs_across_a_weekend(world, time_machine):
    time_machine.move_to(at(2026, 3, 6, 16, 0), tick=False)  # Friday 16:00
    publish()
    case = open_case(world)
    d = deadline(case, "acknowledge")
    # 14 business hours: Friday 1 h, Monday 7 h, Tuesday 6 h -> Tuesday 16:00
    assert d.due_at == at(2026, 3, 10, 16, 0)
    assert d.duration_seconds == 14 * 3600
    assert fire_times(d) == [at(2026, 3, 10, 11, 0), at(2026, 3, 10, 16, 0), at(2026, 3, 12, 16, 0)]


def test_a_deadline_skips_a_public_holiday(world, time_machine):
    time_machine.move_to(at(2026, 4, 30, 16, 0), tick=False)  # Thursday; Friday 1 May is a holiday
    publish()
    case = open_case(world)
    assert deadline(case, "acknowledge").due_at == at(2026, 5, 5, 16, 0)


def test_a_deadline_skips_an_extra_closure_day_of_its_calendar(world, time_machine):
    calendar = BusinessCalendar.objects.get(code="default")
    ClosureDay.objects.create(calendar=calendar, date=date(2026, 3, 9), label="Fermeture exceptionnelle")
    time_machine.move_to(at(2026, 3, 6, 16, 0), tick=False)
    publish()
    case = open_case(world)
    assert deadline(case, "acknowledge").due_at == at(2026, 3, 11, 16, 0)


def test_a_deadline_keeps_its_business_hours_across_the_daylight_saving_change(world, time_machine):
    time_machine.move_to(at(2026, 3, 27, 16, 0), tick=False)  # Friday before the change to summer time
    publish()
    case = open_case(world)
    due = deadline(case, "acknowledge").due_at
    assert due == at(2026, 3, 31, 16, 0)
    assert due.utcoffset() is None or due.astimezone(PARIS).utcoffset().total_seconds() == 7200


def test_a_deadline_pauses_in_its_pause_states_and_resumes_with_the_time_it_had_left(world, time_machine):
    time_machine.move_to(at(2026, 3, 2, 9, 0), tick=False)  # Monday
    publish()
    case = open_case(world)
    do_fire_transition(case, "acknowledge", acting_user=world.ctc_agent)
    resolve = deadline(case, "resolve")
    assert resolve.due_at == at(2026, 3, 2, 14, 30)  # 4 business hours with the lunch break
    time_machine.move_to(at(2026, 3, 2, 10, 0), tick=False)
    do_fire_transition(case, "wait", acting_user=world.ctc_agent, fields={"until": "2026-03-03"})
    resolve.refresh_from_db()
    assert (resolve.state, resolve.elapsed_seconds, resolve.remaining_seconds) == ("paused", 3600, 3 * 3600)
    assert fire_times(resolve) == [None]  # out of the sweeper's index while paused
    time_machine.move_to(at(2026, 3, 3, 9, 0), tick=False)
    do_fire_transition(case, "resume", acting_user=world.ctc_agent)
    resolve.refresh_from_db()
    assert resolve.state == "running"
    assert resolve.due_at == at(2026, 3, 3, 12, 0)  # 3 h left from Tuesday 9:00
    assert fire_times(resolve) == [at(2026, 3, 3, 12, 0)]
    assert Deadline.objects.filter(case=case, kind="resolve").count() == 1


def test_a_deadline_stopped_in_time_is_met_and_late_is_breached(world, time_machine):
    time_machine.move_to(at(2026, 3, 2, 9, 0), tick=False)
    publish()
    on_time = open_case(world)
    late = open_case(world)
    do_fire_transition(on_time, "acknowledge", acting_user=world.ctc_agent)
    time_machine.move_to(at(2026, 3, 4, 9, 1), tick=False)
    do_fire_transition(late, "acknowledge", acting_user=world.ctc_agent)
    assert Deadline.objects.get(case=on_time, kind="acknowledge").state == "met"
    breached = Deadline.objects.get(case=late, kind="acknowledge")
    assert breached.state == "breached"
    assert fire_times(breached) == [None, None, None]


def test_a_deadline_is_voided_when_the_case_ends_another_way(world, time_machine):
    time_machine.move_to(at(2026, 3, 2, 9, 0), tick=False)
    publish()
    case = open_case(world)
    do_fire_transition(case, "acknowledge", acting_user=world.ctc_agent)
    do_fire_transition(case, "reject", acting_user=world.ctc_lead, reason="duplicate")
    resolve = Deadline.objects.get(case=case, kind="resolve")
    assert resolve.state == "void"
    assert fire_times(resolve) == [None]


def test_a_duration_reference_is_resolved_by_the_domain(world, time_machine, monkeypatch):
    from engine import registry

    seen = []

    def resolver(case, key):
        seen.append((case.pk, key))
        return "1 business_hours"

    monkeypatch.setitem(registry.DURATION_RESOLVERS, "service_level", resolver)
    time_machine.move_to(at(2026, 3, 2, 9, 0), tick=False)
    publish(
        __import__("tests.engine.conftest", fromlist=["FULL_YAML"]).FULL_YAML.replace(
            'duration: "2 business_days"', "duration: service_level.acknowledge"
        )
    )
    case = open_case(world)
    assert seen == [(case.pk, "acknowledge")]
    assert deadline(case, "acknowledge").due_at == at(2026, 3, 2, 10, 0)
