"""An alert not answered within its delay: the sweeper fires its answer clock once, running on_late."""

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils.translation import override

from directory.access import role_key, user_key
from engine.actions import do_answer_alert, do_close_alert, do_open_case, do_raise_alert, do_store_version
from engine.definitions import parse_definition
from engine.errors import DefinitionInvalid
from engine.models import AuditEntry, Deadline, EscalationPoint, OutboxEvent
from engine.sweeper import claim, sweep

PARIS = ZoneInfo("Europe/Paris")
YAML = """
procedure: checked
version: 1
title: Checked
roles: [requester, dvq]
states:
  open: {initial: true}
  done: {final: true}
transitions:
  finish: {from: [open], to: done, roles: [dvq]}
alerts:
  check:
    raised_by: [dvq]
    answered_by: [requester]
    answer_within: "2 business_hours"
    outcomes: [upheld, dismissed]
    on_late:
      - notify: {role: dvq, message: check_late}
"""


def paris(*args):
    return datetime(*args, tzinfo=PARIS)


@pytest.fixture
def case(world, time_machine):
    do_store_version(YAML, acting_user=None, publish=True)
    time_machine.move_to(paris(2026, 6, 1, 8, 30), tick=False)  # Monday
    return do_open_case(
        "checked",
        acting_user=None,
        role_holders={"requester": [user_key(world.commune_user)], "dvq": [role_key("dvq_officer")]},
    )


def clock(alert):
    return Deadline.objects.get(case_id=alert.case_id, kind=f"alert:{alert.pk}")


def test_an_unanswered_alert_runs_its_on_late_actions_once_at_the_answer_due_time(world, case, time_machine):
    alert = do_raise_alert(case, "check", acting_user=world.dvq_officer, reason="Pourquoi ?")
    assert alert.answer_due_at == paris(2026, 6, 1, 10, 30)
    assert EscalationPoint.objects.get(deadline=clock(alert)).fire_at == paris(2026, 6, 1, 10, 30)
    time_machine.move_to(paris(2026, 6, 1, 10, 29), tick=False)
    assert sweep() == 0
    time_machine.move_to(paris(2026, 6, 1, 10, 31), tick=False)
    assert sweep() == 1
    assert sweep() == 0  # exactly once

    late = AuditEntry.objects.get(case=case, event="alert_late")
    assert (late.actor, late.data["alert"], late.data["code"]) == (None, alert.pk, "check")
    event = OutboxEvent.objects.get(case=case, kind="alert.late")
    assert (event.payload["alert"], event.payload["to_role"], event.payload["parties"]) == (
        alert.pk,
        "requester",
        [user_key(world.commune_user)],
    )
    notification = OutboxEvent.objects.get(case=case, kind="notification")
    assert (
        notification.payload["role"],
        notification.payload["message"],
        notification.payload["parties"],
    ) == (
        "dvq",
        "check_late",
        [role_key("dvq_officer")],
    )
    assert not AuditEntry.objects.filter(case=case, event="escalation").exists()
    alert.refresh_from_db()
    assert alert.state == "raised"  # the commune can still answer, late
    do_answer_alert(alert, acting_user=world.commune_user, answer="En retard, mais voici.")
    assert clock(alert).state == "breached"


def test_an_alert_answered_in_time_stops_its_clock_and_nothing_fires(world, case, time_machine):
    alert = do_raise_alert(case, "check", acting_user=world.dvq_officer)
    time_machine.move_to(paris(2026, 6, 1, 9, 0), tick=False)
    do_answer_alert(alert, acting_user=world.commune_user, answer="Un enfant est en danger.")
    assert clock(alert).state == "met"
    time_machine.move_to(paris(2026, 6, 2, 9, 0), tick=False)
    assert sweep() == 0
    assert not OutboxEvent.objects.filter(kind="alert.late").exists()
    assert not AuditEntry.objects.filter(event="alert_late").exists()


def test_a_closed_alert_never_becomes_late(world, case, time_machine):
    alert = do_raise_alert(case, "check", acting_user=world.dvq_officer)
    do_close_alert(alert, "dismissed", acting_user=world.dvq_officer)
    time_machine.move_to(paris(2026, 6, 2, 9, 0), tick=False)
    assert sweep() == 0
    assert clock(alert).state == "met"
    assert not OutboxEvent.objects.filter(kind="alert.late").exists()


def test_the_answer_clock_is_claimed_by_one_sweeper_only(world, case, time_machine):
    alert = do_raise_alert(case, "check", acting_user=world.dvq_officer)
    now = paris(2026, 6, 1, 11, 0)
    first = claim(now, 100, uuid.uuid4())
    second = claim(now, 100, uuid.uuid4())  # compare-and-set: nothing left to claim
    assert [row[3] for row in first] == [f"alert:{alert.pk}"]
    assert second == []


def test_on_late_actions_are_validated_like_the_others(db):
    with override("en"):  # the messages' English source texts
        _check_on_late_validation()


def _check_on_late_validation():
    broken = YAML.replace("notify: {role: dvq, message: check_late}", "notify: {role: mayor, mesage: x}")
    with pytest.raises(DefinitionInvalid) as raised:
        parse_definition(broken)
    assert raised.value.problems == [
        "alerts.check.on_late[0].notify: unknown parameter 'mesage' (expected: role, message)",
        "alerts.check.on_late[0].notify.role: role 'mayor' is not declared in roles",
    ]
    without_delay = YAML.replace('    answer_within: "2 business_hours"\n', "")
    with pytest.raises(DefinitionInvalid) as raised:
        parse_definition(without_delay)
    assert raised.value.problems == ["alerts.check.on_late: needs answer_within (when the answer is late)"]
    unknown = YAML.replace("notify: {role: dvq, message: check_late}", "ring_bell: {}")
    with pytest.raises(DefinitionInvalid) as raised:
        parse_definition(unknown)
    assert raised.value.problems[0].startswith("alerts.check.on_late[0]: unknown action 'ring_bell'")
