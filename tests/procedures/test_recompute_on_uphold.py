"""When the DVQ upholds its urgency alert, the urgency is removed and the deadlines move to the normal
service level, keeping the business time already elapsed (engine do_recompute_deadlines)."""

from zoneinfo import ZoneInfo

from django.utils.translation import gettext

from engine.models import AuditEntry, Deadline, EscalationPoint, OutboxEvent
from engine.sweeper import sweep
from procedures import actions
from procedures.models import ServiceLevel
from tests.procedures.helpers_actions import file, paris

HOUR = 3600
UTC = ZoneInfo("UTC")


def iso(*args):
    """A Paris wall-clock time as the audit trail writes it (UTC, ISO 8601)."""
    return paris(*args).astimezone(UTC).isoformat()


def levels():
    ServiceLevel.objects.create(name="Urgent", urgency="urgent", acknowledge_hours=1, resolve_hours=7)
    ServiceLevel.objects.create(name="Normal", acknowledge_hours=7, resolve_hours=35)


def live(request, kind):
    return Deadline.objects.get(case_id=request.case_id, kind=kind, state__in=["running", "paused"])


def points(deadline):
    return list(
        EscalationPoint.objects.filter(deadline=deadline).order_by("index").values_list("fire_at", "fired_at")
    )


def test_upholding_moves_the_running_deadlines_to_the_normal_service_level(
    requests_world, bulky, time_machine
):
    world = requests_world
    levels()
    time_machine.move_to(paris(2026, 6, 1, 8, 30), tick=False)  # Monday
    request = file(world, bulky, urgency="urgent")
    acknowledge, resolve = live(request, "acknowledge"), live(request, "resolve")
    assert (acknowledge.due_at, resolve.due_at) == (paris(2026, 6, 1, 9, 30), paris(2026, 6, 1, 17, 0))
    time_machine.move_to(paris(2026, 6, 1, 9, 0), tick=False)  # 30 business minutes elapsed
    actions.do_uphold_urgency_alert(request, acting_user=world.dvq_officer, note="Aucun critère.")

    acknowledge.refresh_from_db()
    resolve.refresh_from_db()
    # Same start (Monday 8:30), normal targets: 7 h and 35 business hours.
    assert (acknowledge.state, acknowledge.started_at, acknowledge.duration_seconds) == (
        "running",
        paris(2026, 6, 1, 8, 30),
        7 * HOUR,
    )
    assert acknowledge.due_at == paris(2026, 6, 1, 17, 0)
    assert (resolve.duration_seconds, resolve.due_at) == (35 * HOUR, paris(2026, 6, 5, 17, 0))
    # Escalation points: -25 % (5.25 h), the due time, twice the target (14 h), none fired yet.
    assert points(acknowledge) == [
        (paris(2026, 6, 1, 15, 15), None),
        (paris(2026, 6, 1, 17, 0), None),
        (paris(2026, 6, 2, 17, 0), None),
    ]
    time_machine.move_to(paris(2026, 6, 1, 9, 45), tick=False)  # past the urgent due time: nothing fires
    assert sweep() == 0

    entry = AuditEntry.objects.get(case_id=request.case_id, event="deadlines_recomputed")
    assert (entry.actor, entry.reason) == (world.dvq_officer, gettext("Urgency removed by the DVQ."))
    by_kind = {change["kind"]: change for change in entry.data["deadlines"]}
    assert by_kind["acknowledge"]["before"]["due_at"] == iso(2026, 6, 1, 9, 30)
    assert by_kind["acknowledge"]["after"]["due_at"] == iso(2026, 6, 1, 17, 0)
    assert by_kind["acknowledge"]["elapsed_seconds"] == 30 * 60
    assert by_kind["resolve"]["after"]["due_at"] == iso(2026, 6, 5, 17, 0)
    event = OutboxEvent.objects.get(case_id=request.case_id, kind="case.deadlines_recomputed")
    assert {d["kind"]: d["after"] for d in event.payload["deadlines"]} == {
        "acknowledge": iso(2026, 6, 1, 17, 0),
        "resolve": iso(2026, 6, 5, 17, 0),
    }


def test_a_paused_deadline_keeps_its_remaining_time_recomputed(requests_world, bulky, time_machine):
    world = requests_world
    levels()
    time_machine.move_to(paris(2026, 6, 1, 8, 30), tick=False)
    request = file(world, bulky, urgency="urgent")
    time_machine.move_to(paris(2026, 6, 1, 9, 0), tick=False)
    actions.do_transition_request(request, "acknowledge", acting_user=world.ctc_agent)
    actions.do_transition_request(
        request, "wait", acting_user=world.ctc_agent, fields={"waiting_for": "requester"}, reason="Photo ?"
    )
    resolve = live(request, "resolve")
    assert (resolve.state, resolve.remaining_seconds) == ("paused", int(6.5 * HOUR))
    time_machine.move_to(paris(2026, 6, 1, 10, 0), tick=False)
    actions.do_uphold_urgency_alert(request, acting_user=world.dvq_officer)

    resolve.refresh_from_db()
    assert (resolve.state, resolve.duration_seconds, resolve.elapsed_seconds) == (
        "paused",
        35 * HOUR,
        30 * 60,
    )
    assert resolve.remaining_seconds == int(34.5 * HOUR)
    assert all(fire_at is None for fire_at, _fired in points(resolve))  # out of the sweeper's index
    # The met acknowledgement deadline is not touched.
    assert Deadline.objects.get(case_id=request.case_id, kind="acknowledge").state == "met"

    time_machine.move_to(paris(2026, 6, 1, 11, 0), tick=False)
    actions.do_transition_request(request, "start_work", acting_user=world.ctc_agent)
    resolve.refresh_from_db()
    # 34.5 business hours from Monday 11:00: 4.5 h on Monday, 28 h Tuesday to Friday, 2 h next Monday.
    assert (resolve.state, resolve.due_at) == ("running", paris(2026, 6, 8, 10, 30))
    assert points(resolve)[1] == (paris(2026, 6, 8, 10, 30), None)
    entry = AuditEntry.objects.get(case_id=request.case_id, event="deadlines_recomputed")
    [change] = entry.data["deadlines"]
    assert (change["kind"], change["state"]) == ("resolve", "paused")
    assert (change["before"]["remaining_seconds"], change["after"]["remaining_seconds"]) == (
        int(6.5 * HOUR),
        int(34.5 * HOUR),
    )
