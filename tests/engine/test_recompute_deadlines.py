"""do_recompute_deadlines: live deadlines re-resolve their duration, keep their start and elapsed time."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from directory.access import role_key, user_key
from engine.actions import do_fire_transition, do_open_case, do_recompute_deadlines, do_store_version
from engine.durations import parse_duration
from engine.errors import RoleNotAllowed
from engine.models import AuditEntry, Deadline, EscalationPoint, OutboxEvent
from engine.registry import DURATION_RESOLVERS, register_duration_resolver
from engine.sweeper import sweep

PARIS = ZoneInfo("Europe/Paris")
YAML = """
procedure: levels
version: 1
title: Levels
roles: [requester, handler]
states:
  open: {initial: true}
  done: {final: true}
transitions:
  finish: {from: [open], to: done, roles: [handler]}
deadlines:
  resolve:
    starts: {enter: [open]}
    stops: {enter: [done]}
    duration: test_level.resolve
    escalations:
      - {at: "-50%", actions: [{notify: {role: handler}}]}
      - {at: "0", actions: [{notify: {role: handler}}]}
"""


def paris(*args):
    return datetime(*args, tzinfo=PARIS)


@pytest.fixture
def levels(db):
    """A resolver reading the number of business hours from the case's data."""
    register_duration_resolver(
        "test_level", lambda case, key: parse_duration(f"{case.data['hours']} business_hours")
    )
    do_store_version(YAML, acting_user=None, publish=True)
    yield
    DURATION_RESOLVERS.pop("test_level", None)


def open_case(world, hours):
    return do_open_case(
        "levels",
        acting_user=None,
        role_holders={"requester": [user_key(world.commune_user)], "handler": [role_key("dvq_officer")]},
        data={"hours": hours},
    )


def test_it_moves_due_time_and_unfired_points_keeping_fired_ones(world, levels, time_machine):
    time_machine.move_to(paris(2026, 6, 1, 8, 30), tick=False)  # Monday
    case = open_case(world, 2)
    time_machine.move_to(paris(2026, 6, 1, 9, 45), tick=False)
    assert sweep() == 1  # the -50 % point (1 h) fired
    case.data["hours"] = 7  # what the domain's resolver now says
    changes = do_recompute_deadlines(case, acting_user=world.dvq_officer, reason="level changed")

    deadline = Deadline.objects.get(case=case)
    assert (deadline.state, deadline.started_at, deadline.duration_seconds, deadline.due_at) == (
        "running",
        paris(2026, 6, 1, 8, 30),
        7 * 3600,
        paris(2026, 6, 1, 17, 0),
    )
    rows = list(EscalationPoint.objects.filter(deadline=deadline).order_by("index"))
    assert [(p.fire_at, p.fired_at) for p in rows] == [
        (paris(2026, 6, 1, 9, 30), paris(2026, 6, 1, 9, 45)),  # fired once, left alone
        (paris(2026, 6, 1, 17, 0), None),
    ]
    assert changes[0]["elapsed_seconds"] == 75 * 60
    entry = AuditEntry.objects.get(case=case, event="deadlines_recomputed")
    assert (entry.actor, entry.reason, entry.data["deadlines"]) == (
        world.dvq_officer,
        "level changed",
        changes,
    )
    assert OutboxEvent.objects.filter(case=case, kind="case.deadlines_recomputed").count() == 1
    time_machine.move_to(paris(2026, 6, 1, 10, 31), tick=False)  # the old due time has passed
    assert sweep() == 0


def test_a_shorter_duration_makes_passed_points_due_at_once(world, levels, time_machine):
    time_machine.move_to(paris(2026, 6, 1, 8, 30), tick=False)
    case = open_case(world, 7)
    time_machine.move_to(paris(2026, 6, 1, 10, 30), tick=False)
    case.data["hours"] = 1
    do_recompute_deadlines(case, acting_user=None)
    deadline = Deadline.objects.get(case=case)
    assert deadline.due_at == paris(2026, 6, 1, 9, 30)  # already past: when the hour was reached
    assert sweep() == 2  # both points are now due, fired once each
    assert sweep() == 0
    assert AuditEntry.objects.get(case=case, event="deadlines_recomputed").actor is None


def test_it_refuses_someone_holding_no_role_on_the_case(world, levels):
    case = open_case(world, 2)
    before = (AuditEntry.objects.count(), OutboxEvent.objects.count())
    with pytest.raises(RoleNotAllowed):
        do_recompute_deadlines(case, acting_user=world.commune_2_user)
    assert (AuditEntry.objects.count(), OutboxEvent.objects.count()) == before
    assert Deadline.objects.get(case=case).duration_seconds == 2 * 3600


def test_stopped_deadlines_are_left_alone(world, levels):
    case = open_case(world, 2)
    do_fire_transition(case, "finish", acting_user=None)
    assert do_recompute_deadlines(case, acting_user=None) == []
    assert Deadline.objects.get(case=case).state == "met"
