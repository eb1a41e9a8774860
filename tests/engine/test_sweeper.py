"""The sweeper fires each due escalation point exactly once; the outbox delivers events after commit."""

import threading
from datetime import datetime
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from directory.access import user_key
from engine import outbox, registry, sweeper
from engine.actions import do_fire_transition
from engine.models import Alert, AuditEntry, EscalationPoint, OutboxEvent
from tests.engine.helpers import events, open_case, publish

PARIS = ZoneInfo("Europe/Paris")
MONDAY_9 = datetime(2026, 3, 2, 9, 0, tzinfo=PARIS)
WEDNESDAY_9 = datetime(2026, 3, 4, 9, 0, tzinfo=PARIS)  # the acknowledgement is due


@pytest.mark.django_db
def test_nothing_fires_before_its_time(case):
    assert sweeper.sweep(now=datetime(2026, 3, 3, 12, 0, tzinfo=PARIS)) == 0
    assert not EscalationPoint.objects.exclude(fired_at=None).exists()


@pytest.mark.django_db
def test_due_points_fire_once_with_their_actions(world, case):
    assert sweeper.sweep(now=WEDNESDAY_9) == 2  # -25 % and 0; +100 % is on Friday
    notification = events(case, "notification")[0]
    assert notification.payload["role"] == "handler"
    assert notification.payload["parties"] == [f"unit:{world.ctc.pk}"]
    alert = Alert.objects.get(case=case)
    assert (alert.code, alert.to_role, alert.state, alert.raised_by) == (
        "escalation",
        "supervisor",
        "raised",
        None,
    )
    assert events(case, "alert.raised")[0].payload["parties"] == [user_key(world.ctc_lead)]
    assert AuditEntry.objects.filter(case=case, event="escalation").count() == 2
    assert AuditEntry.objects.filter(case=case, event="alert_raised").count() == 1
    assert sweeper.sweep(now=WEDNESDAY_9) == 0
    assert Alert.objects.count() == 1
    assert EscalationPoint.objects.filter(case=case, fired_at=None).count() == 1


@pytest.mark.django_db
def test_the_escalation_alert_is_answered_and_closed_by_the_role_it_was_raised_to(world, case):
    from engine.actions import do_answer_alert, do_close_alert

    sweeper.sweep(now=WEDNESDAY_9)
    alert = Alert.objects.get(case=case)
    do_answer_alert(alert, acting_user=world.ctc_lead, answer="Team sent")
    do_close_alert(alert, "resolved", acting_user=world.ctc_lead)
    assert Alert.objects.get(pk=alert.pk).state == "closed"


@pytest.mark.django_db
def test_points_of_a_stopped_deadline_never_fire(world, case):
    do_fire_transition(case, "acknowledge", acting_user=world.ctc_agent)
    assert sweeper.sweep(now=datetime(2026, 3, 2, 11, 0, tzinfo=PARIS)) == 0
    # the resolve deadline (4 business hours from 9:00) fires its single point at 14:30
    assert sweeper.sweep(now=datetime(2026, 3, 20, 9, 0, tzinfo=PARIS)) == 1
    assert events(case, "notification")[-1].payload["message"] == "overdue"


@pytest.mark.django_db
def test_a_sweeper_killed_midway_leaves_the_points_due_and_the_next_one_fires_them_once(case):
    with mock.patch.object(sweeper, "fire", side_effect=SystemExit("killed")), pytest.raises(SystemExit):
        sweeper.sweep(now=WEDNESDAY_9)
    assert EscalationPoint.objects.filter(case=case, fired_at=None).count() == 3
    assert not Alert.objects.exists()
    assert sweeper.sweep(now=WEDNESDAY_9) == 2
    assert sweeper.sweep(now=WEDNESDAY_9) == 0
    assert Alert.objects.count() == 1
    assert AuditEntry.objects.filter(case=case, event="escalation").count() == 2


@pytest.mark.django_db
def test_a_point_whose_action_fails_is_recorded_and_does_not_block_the_others(world, case, monkeypatch):
    from engine import core

    def broken(ctx, role, message=None):
        raise RuntimeError("mail server on fire")

    monkeypatch.setitem(registry.ACTIONS, "notify", registry.Entry("action", "notify", broken, {}))
    assert sweeper.sweep(now=WEDNESDAY_9) == 2
    failed = EscalationPoint.objects.get(case=case, index=0)
    assert failed.fired_at is not None
    assert failed.error == "RuntimeError: mail server on fire"
    assert Alert.objects.count() == 1  # the other point fired
    assert sweeper.sweep(now=WEDNESDAY_9) == 0
    assert core.notify  # the real action is untouched


@pytest.mark.django_db
def test_what_a_failing_point_queued_before_failing_is_not_written(world, case, monkeypatch):
    def half_done(ctx, role, message=None):
        ctx.emit("notification", {"role": role, "half": True})
        raise RuntimeError("failed after queuing an event")

    monkeypatch.setitem(registry.ACTIONS, "notify", registry.Entry("action", "notify", half_done, {}))
    assert sweeper.sweep(now=WEDNESDAY_9) == 2
    assert not OutboxEvent.objects.filter(kind="notification").exists()
    failed = EscalationPoint.objects.get(case=case, index=0)
    assert failed.error == "RuntimeError: failed after queuing an event"
    assert [entry.data["at"] for entry in AuditEntry.objects.filter(event="escalation")] == ["0"]
    assert Alert.objects.count() == 1  # the next point of the batch still fired, with its own rows


@pytest.mark.django_db
def test_the_worker_runs_the_sweeper_and_the_outbox(case, settings):
    from engine.worker import run_jobs_once

    settings.WORKER_JOBS = ["engine.sweeper.sweep", "engine.outbox.dispatch"]
    result = run_jobs_once()
    assert set(result) == {"engine.sweeper.sweep", "engine.outbox.dispatch"}
    assert result["engine.outbox.dispatch"] == OutboxEvent.objects.exclude(delivered_at=None).count() >= 1


@pytest.mark.django_db
def test_outbox_events_are_delivered_after_commit_at_least_once_in_order(
    world, case, monkeypatch, django_capture_on_commit_callbacks, settings
):
    settings.ENGINE_OUTBOX_DISPATCH_ON_COMMIT = True  # delivered by the producing process, then the worker
    received = []
    failures = []

    def consumer(event):
        if failures:
            failures.pop()
            raise ConnectionError("smtp down")
        received.append((event.pk, event.kind))

    monkeypatch.setitem(registry.CONSUMERS, "test", consumer)
    assert outbox.dispatch() == 1  # the case.opened event written before the consumer existed
    received.clear()
    failures.append(True)
    with django_capture_on_commit_callbacks(execute=True):
        do_fire_transition(case, "acknowledge", acting_user=world.ctc_agent)
    pending = list(OutboxEvent.objects.filter(delivered_at=None))
    assert len(pending) == 1  # the first event failed once and waits for its retry
    assert pending[0].attempts == 1 and pending[0].last_error == "test: ConnectionError: smtp down"
    assert [kind for _pk, kind in received] == ["case.transition"]
    with mock.patch("engine.outbox.timezone.now", return_value=pending[0].next_attempt_at):
        assert outbox.dispatch() == 1
    assert received[-1] == (pending[0].pk, "notification")
    assert not OutboxEvent.objects.filter(delivered_at=None).exists()
    assert outbox.dispatch() == 0


@pytest.mark.django_db
def test_by_default_the_worker_delivers_the_events_of_a_transaction_not_the_request(
    world, case, monkeypatch, django_capture_on_commit_callbacks
):
    received = []
    monkeypatch.setitem(registry.CONSUMERS, "test", lambda event: received.append((event.pk, event.kind)))
    outbox.dispatch()
    received.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        do_fire_transition(case, "acknowledge", acting_user=world.ctc_agent)
    assert callbacks == [] and received == []
    pending = list(OutboxEvent.objects.filter(delivered_at=None).order_by("pk"))
    assert [event.kind for event in pending] == ["notification", "case.transition"]
    assert outbox.dispatch() == 2
    assert received == [(event.pk, event.kind) for event in pending]  # in order of id
    assert not OutboxEvent.objects.filter(delivered_at=None).exists()


@pytest.mark.django_db
def test_a_failing_batch_consumer_falls_back_to_one_event_at_a_time_and_only_the_failing_one_waits(
    world, case, monkeypatch
):
    batches, single = [], []

    def one(event):
        if event.kind == "notification":
            raise ConnectionError("smtp down")
        single.append(event.kind)

    def batch(events):
        batches.append([event.kind for event in events])
        raise ConnectionError("smtp down")

    monkeypatch.setitem(registry.CONSUMERS, "test", one)
    monkeypatch.setitem(registry.BATCH_CONSUMERS, "test", (one, batch))
    outbox.dispatch()  # case.opened: its batch fails, it goes alone
    do_fire_transition(case, "acknowledge", acting_user=world.ctc_agent)
    batches.clear(), single.clear()
    assert outbox.dispatch() == 1
    assert batches == [["notification", "case.transition"]]
    assert single == ["case.transition"]
    (waiting,) = OutboxEvent.objects.filter(delivered_at=None)
    assert waiting.kind == "notification" and waiting.attempts == 1
    assert waiting.last_error == "test: ConnectionError: smtp down"
    assert "test" not in waiting.delivered_to


@pytest.mark.django_db
def test_the_worker_delivers_the_outbox_between_its_ticks(world, case, settings):
    from engine.worker import run_forever

    settings.WORKER_JOBS = ["engine.outbox.dispatch"]
    settings.WORKER_OUTBOX_POLL_MS = 500
    slept = []
    assert OutboxEvent.objects.filter(delivered_at=None).exists()
    calls = []
    with mock.patch("engine.outbox.dispatch", side_effect=lambda: calls.append(len(slept)) or 0):
        run_forever(5, stop=lambda: len(slept) >= 10, sleep=slept.append)
    assert slept == [0.5] * 10  # a half-second poll
    assert calls == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]  # at the tick, then after every poll


@pytest.mark.django_db
def test_nothing_is_delivered_when_the_transaction_rolls_back(
    world, case, monkeypatch, django_capture_on_commit_callbacks
):
    received = []
    monkeypatch.setitem(registry.CONSUMERS, "test", lambda event: received.append(event.kind))
    with (
        mock.patch("engine.deadlines.on_transition", side_effect=RuntimeError("boom")),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
    ):
        do_fire_transition(case, "acknowledge", acting_user=world.ctc_agent)
    assert callbacks == []
    assert received == []
    assert OutboxEvent.objects.filter(case=case).count() == 1


# --- real concurrency (PostgreSQL) --------------------------------------------------------------------
def _run_in_threads(*targets):
    barrier = threading.Barrier(len(targets))
    results = [None] * len(targets)

    def runner(index, target):
        try:
            barrier.wait(timeout=10)
            results[index] = ("ok", target())
        except Exception as error:  # reported to the test
            results[index] = ("error", error)
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i, t)) for i, t in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweepers_at_once_fire_each_point_exactly_once(world, time_machine, on_postgres):
    if not on_postgres:
        pytest.skip("SQLite serialises writers: real concurrent sweepers need PostgreSQL")
    time_machine.move_to(MONDAY_9, tick=False)
    publish()
    cases = [open_case(world) for _ in range(30)]
    friday = datetime(2026, 3, 20, 9, 0, tzinfo=PARIS)
    results = _run_in_threads(
        lambda: sweeper.sweep(now=friday, batch=7), lambda: sweeper.sweep(now=friday, batch=7)
    )
    assert all(status == "ok" for status, _ in results), results
    assert sum(count for _, count in results) == 90
    assert not EscalationPoint.objects.filter(fired_at=None).exists()
    assert AuditEntry.objects.filter(event="escalation").count() == 90
    assert Alert.objects.count() == 60  # two alerts per case (at 0 and +100 %)
    assert OutboxEvent.objects.filter(kind="notification").count() == 30
    assert len(cases) == 30


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweepers_blocked_on_the_same_rows_still_fire_them_once(
    world, time_machine, on_postgres, monkeypatch
):
    """Without SKIP LOCKED, the second sweeper waits on the first one's rows; its compare-and-set misses."""
    if not on_postgres:
        pytest.skip("SQLite serialises writers: real concurrent sweepers need PostgreSQL")
    time_machine.move_to(MONDAY_9, tick=False)
    publish()
    for _ in range(10):
        open_case(world)
    monkeypatch.setattr(connection.features.__class__, "has_select_for_update_skip_locked", False)
    friday = datetime(2026, 3, 20, 9, 0, tzinfo=PARIS)
    results = _run_in_threads(lambda: sweeper.sweep(now=friday), lambda: sweeper.sweep(now=friday))
    assert all(status == "ok" for status, _ in results), results
    assert sum(count for _, count in results) == 30
    assert AuditEntry.objects.filter(event="escalation").count() == 30


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_actors_firing_conflicting_transitions_at_once_exactly_one_wins(world, time_machine, on_postgres):
    if not on_postgres:
        pytest.skip("real concurrent transactions need PostgreSQL (SQLite serialises writers)")
    from engine.errors import ConcurrentChange
    from engine.models import Case

    time_machine.move_to(MONDAY_9, tick=False)
    publish()
    case = open_case(world)
    for _ in range(5):  # several rounds: the race is real each time
        first = Case.objects.select_related("version").get(pk=case.pk)
        second = Case.objects.select_related("version").get(pk=case.pk)
        revision = first.revision
        results = _run_in_threads(
            lambda first=first: do_fire_transition(first, "acknowledge", acting_user=world.ctc_agent),
            lambda second=second: do_fire_transition(
                second, "reject", acting_user=world.ctc_lead, reason="dup"
            ),
        )
        outcomes = sorted(status for status, _ in results)
        assert outcomes == ["error", "ok"], results
        error = next(value for status, value in results if status == "error")
        assert isinstance(error, ConcurrentChange)
        case.refresh_from_db()
        assert case.revision == revision + 1
        transitions = AuditEntry.objects.filter(case=case, event="transition")
        assert transitions.count() == 1
        assert OutboxEvent.objects.filter(case=case, kind="case.transition").count() == 1
        # start again on a fresh case for the next round
        case = open_case(world)


@pytest.mark.django_db
def test_an_escalation_can_set_a_field_of_the_case(world, time_machine):
    from engine.models import Case
    from tests.engine.conftest import FULL_YAML

    time_machine.move_to(MONDAY_9, tick=False)
    publish(
        FULL_YAML.replace(
            '- {at: "0", actions: [{raise_alert: {to: supervisor}}]}',
            '- {at: "0", actions: [{set_field: {field: overdue, value: true}}]}',
        )
    )
    case = open_case(world, data={"kept": 1})
    assert sweeper.sweep(now=WEDNESDAY_9) == 2
    case.refresh_from_db()
    assert case.data == {"kept": 1, "overdue": True}
    assert case.revision == 2
    assert AuditEntry.objects.filter(case=case, event="escalation_changes").get().fields == {"overdue": True}
    assert Case.objects.get(pk=case.pk).state == "submitted"
