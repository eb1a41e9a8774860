"""The issue's acceptance, through the action layer: an urgent request with no criterion, from filing to
closing, on a calendar with a public holiday (Ascension, Thursday 14 May 2026)."""

import datetime

import pytest
from django.core import mail

from engine.models import Alert, Case, Deadline
from engine.sweeper import sweep
from procedures import actions
from procedures.models import InterventionRequest, Notification, RequestMessage, ServiceLevel
from tests.procedures.helpers_actions import audit_events, deliver, file, outbox_kinds, paris


def due(request, kind):
    return Deadline.objects.filter(case_id=request.case_id, kind=kind).latest("pk")


@pytest.fixture
def urgent_level(requests_world):
    # Two business hours to acknowledge, two business days (2 x 7 h) to resolve.
    return ServiceLevel.objects.create(
        name="Urgence", urgency="urgent", acknowledge_hours=2, resolve_hours=14
    )


def test_an_urgent_request_without_criterion_goes_from_filing_to_closing_with_the_dvq_check(
    requests_world, bulky, urgent_level, time_machine
):
    world = requests_world
    world.commune_user.email = "referent@commune-une.example"
    world.commune_user.save()
    world.dvq_officer.email = "dvq@cu.example"
    world.dvq_officer.save()

    # Wednesday 13 May 2026, 09:00: the commune files an urgent request and ticks no criterion.
    time_machine.move_to(paris(2026, 5, 13, 9, 0), tick=False)
    request = file(world, bulky, urgency="urgent", attributes={"volume": 3})
    assert request.reference == "DI-2026-000001"
    assert (request.commune, request.handler_unit, request.dispatcher_unit) == (
        world.commune,
        world.ctc,
        world.ctc,
    )
    assert request.routing_explanation and request.to_qualify
    assert (request.urgency, request.urgency_justified, request.attributes) == (
        "urgent",
        False,
        {"volume": 3},
    )
    assert request.case.state == "submitted"
    # Deadlines from the service level on the business calendar: 2 h -> 11:00 the same day; 14 h -> the
    # rest of Wednesday (6.5 h), not Thursday (Ascension), Friday (7 h), Monday 08:30-09:00 (0.5 h).
    assert due(request, "acknowledge").due_at == paris(2026, 5, 13, 11, 0)
    assert due(request, "resolve").due_at == paris(2026, 5, 18, 9, 0)
    # The DVQ is alerted: the urgency check asks the commune for a justification.
    alert = Alert.objects.get(case=request.case, code="urgency_check")
    assert (alert.state, alert.to_role, alert.raised_by) == ("raised", "requester", None)
    assert outbox_kinds(request) == [
        "case.opened",
        "request.message",  # the filing message to the commune
        "alert.raised",
        "request.message",  # the urgency check message
    ]
    deliver()
    assert Notification.objects.filter(user=world.dvq_officer, request=request, event="alert").exists()
    assert Notification.objects.filter(user=world.ctc_agent, request=request, event="filed").exists()
    assert any("dvq@cu.example" in message.to for message in mail.outbox)
    assert any("referent@commune-une.example" in message.to for message in mail.outbox)

    # The commune justifies; the DVQ dismisses its alert: the urgency stands and counts as justified.
    time_machine.move_to(paris(2026, 5, 13, 9, 30), tick=False)
    actions.do_justify_urgency(
        request, acting_user=world.commune_user, answer="Le canapé bloque l'accès pompiers."
    )
    time_machine.move_to(paris(2026, 5, 13, 9, 45), tick=False)
    actions.do_dismiss_urgency_alert(request, acting_user=world.dvq_officer, note="Justifié.")
    alert.refresh_from_db()
    assert (alert.state, alert.outcome, alert.answer) == (
        "closed",
        "dismissed",
        "Le canapé bloque l'accès pompiers.",
    )
    request.refresh_from_db()
    assert (request.urgency, request.urgency_justified) == ("urgent", True)

    # The CTC acknowledges (on time), qualifies, plans: the commune sees the date.
    time_machine.move_to(paris(2026, 5, 13, 10, 0), tick=False)
    actions.do_transition_request(request, "acknowledge", acting_user=world.ctc_agent)
    assert due(request, "acknowledge").state == "met"
    time_machine.move_to(paris(2026, 5, 13, 10, 15), tick=False)
    actions.do_transition_request(
        request, "qualify", acting_user=world.ctc_agent, fields={"note": "Vu sur place"}
    )
    time_machine.move_to(paris(2026, 5, 15, 9, 30), tick=False)
    actions.do_transition_request(
        request, "plan", acting_user=world.ctc_agent, fields={"planned_date": "2026-05-18"}
    )
    request.refresh_from_db()
    assert request.planned_date == datetime.date(2026, 5, 18)
    planned = RequestMessage.objects.filter(request=request, kind="planned").get()
    assert "18" in planned.body and "2026" in planned.body

    # Friday 10:00 it waits for a third party: the resolve deadline pauses with 6 business hours left
    # (8 h elapsed: Wednesday 09:00-17:00 less lunch, Friday 08:30-10:00).
    time_machine.move_to(paris(2026, 5, 15, 10, 0), tick=False)
    actions.do_transition_request(
        request, "wait", acting_user=world.ctc_agent, fields={"waiting_for": "third_party"},
        reason="Attente du camion-grue.",
    )  # fmt: skip
    resolve = due(request, "resolve")
    assert (resolve.state, resolve.remaining_seconds) == ("paused", 6 * 3600)
    assert Case.objects.get(pk=request.case_id).phase == "waiting"

    # Monday 10:00 the work starts: the deadline resumes and is now Tuesday 09:00 (6 h later).
    time_machine.move_to(paris(2026, 5, 18, 10, 0), tick=False)
    actions.do_transition_request(request, "start_work", acting_user=world.ctc_agent)
    resolve.refresh_from_db()
    assert (resolve.state, resolve.due_at) == ("running", paris(2026, 5, 19, 9, 0))
    time_machine.move_to(paris(2026, 5, 18, 16, 0), tick=False)
    actions.do_transition_request(
        request, "finish", acting_user=world.ctc_agent, fields={"resolution_note": "Canapé enlevé."}
    )
    resolve.refresh_from_db()
    assert resolve.state == "met"
    request.refresh_from_db()
    assert (request.resolution_note, request.resolved_at) == ("Canapé enlevé.", paris(2026, 5, 18, 16, 0))

    # The commune confirms: the request is closed.
    time_machine.move_to(paris(2026, 5, 19, 9, 0), tick=False)
    actions.do_confirm_request(request, acting_user=world.commune_user)
    request.refresh_from_db()
    assert request.case.state == "closed" and request.closed_at == paris(2026, 5, 19, 9, 0)
    assert sweep() == 0  # nothing left to escalate

    # The audit trail is complete, with who did what.
    assert audit_events(request) == [
        ("opened", "submitted", "commune"),
        ("alert_raised", "", None),
        ("alert_answered", "", "commune"),
        ("alert_closed", "", "dvq"),
        ("transition", "acknowledged", "ctc"),
        ("transition", "qualified", "ctc"),
        ("transition", "planned", "ctc"),
        ("transition", "waiting", "ctc"),
        ("transition", "in_progress", "ctc"),
        ("transition", "done", "ctc"),
        ("transition", "closed", "commune"),
    ]
    # What the commune was told, in order; the handler is named in the acknowledgement.
    messages = list(RequestMessage.objects.filter(request=request).values_list("kind", "body"))
    assert [kind for kind, _body in messages] == [
        "filed", "urgency", "urgency", "acknowledged", "qualified", "planned", "waiting", "in_progress",
        "done", "closed",
    ]  # fmt: skip
    assert "CTC Un" in messages[3][1] and "Canapé enlevé." in messages[8][1]
    deliver()
    assert not RequestMessage.objects.filter(request=request, notified_at__isnull=True).exists()
    assert InterventionRequest.objects.count() == 1
