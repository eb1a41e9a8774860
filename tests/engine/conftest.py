from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from engine import deadlines

FULL_YAML = """
procedure: repair
version: 1
title: {fr: "Réparation", en: "Repair"}
roles: [requester, dispatcher, handler, supervisor, dvq]
opened_by: [requester]
states:
  submitted: {initial: true, phase: open, label: {fr: Nouvelle, en: Submitted}}
  acknowledged: {phase: open, label: {fr: Prise en compte, en: Acknowledged}}
  waiting: {phase: waiting, label: {fr: En attente, en: Waiting}}
  done: {final: true, label: {fr: Terminée, en: Done}}
  rejected: {final: true, label: {fr: Rejetée, en: Rejected}}
transitions:
  acknowledge:
    from: [submitted]
    to: acknowledged
    roles: [dispatcher, handler]
    guards: [{role_holder_exists: {role: handler}}]
    actions: [{notify: {role: requester, message: acknowledged}}]
    fields: {note: {type: text, required: false}}
  reject:
    from: [submitted, acknowledged]
    to: rejected
    roles: [dispatcher]
    guards: [comment_required]
  wait:
    from: [acknowledged]
    to: waiting
    roles: [handler]
    fields: {until: {type: date, required: true}}
  resume:
    from: [waiting]
    to: acknowledged
    roles: [handler]
  finish:
    from: [acknowledged]
    to: done
    roles: [handler]
    guards: [{field_required: {field: outcome}}]
    actions: [{set_field: {field: finished, value: true}}]
    fields:
      outcome: {type: choice, choices: [repaired, replaced]}
      cost: {type: number}
deadlines:
  acknowledge:
    starts: {enter: submitted}
    stops: {leave: submitted}
    duration: "2 business_days"
    calendar: default
    escalations:
      - {at: "-25%", actions: [{notify: {role: handler}}]}
      - {at: "0", actions: [{raise_alert: {to: supervisor}}]}
      - {at: "+100%", actions: [{raise_alert: {to: dvq}}]}
  resolve:
    starts: {enter: acknowledged}
    stops: {enter: done}
    duration: "4 business_hours"
    pauses_in: [waiting]
    escalations:
      - {at: "0", actions: [{notify: {role: supervisor, message: overdue}}]}
alerts:
  urgency_check:
    raised_by: [dvq]
    answered_by: [requester]
    answer_within: "3 business_days"
    outcomes: [upheld, dismissed]
"""


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    deadlines.clear_caches()
    yield
    deadlines.clear_caches()


@pytest.fixture
def full_yaml():
    return FULL_YAML


@pytest.fixture
def case(world, time_machine):
    """A case of FULL_YAML opened by the world's commune user on Monday 2 March 2026, 9:00 in Paris
    (time frozen there); a test module may define its own ``case``."""
    from tests.engine.helpers import open_case, publish

    time_machine.move_to(datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Europe/Paris")), tick=False)
    publish()
    return open_case(world)
