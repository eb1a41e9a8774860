"""Messages to the commune are written in French whatever the language of the agent who acted, and each
one queues an outbox event request.message."""

from datetime import date

from django.utils import translation

from engine.models import OutboxEvent
from procedures import actions
from procedures.models import RequestMessage
from tests.procedures.helpers_actions import file, paris


def test_an_english_speaking_agent_writes_the_commune_s_messages_in_french(
    requests_world, bulky, time_machine
):
    world = requests_world
    time_machine.move_to(paris(2026, 6, 1, 9, 0), tick=False)
    with translation.override("en"):
        request = file(world, bulky)
        actions.do_transition_request(request, "acknowledge", acting_user=world.ctc_agent)
        actions.do_transition_request(request, "qualify", acting_user=world.ctc_agent)
        actions.do_transition_request(
            request, "plan", acting_user=world.ctc_agent, fields={"planned_date": date(2026, 6, 3)}
        )
        assert translation.get_language() == "en"  # the agent's language is left as it was
    bodies = list(
        RequestMessage.objects.filter(request=request).order_by("pk").values_list("body", flat=True)
    )
    assert bodies[0].startswith(f"Votre demande {request.reference} a été déposée. "), bodies[0]
    assert bodies[1].startswith(f"Votre demande {request.reference} a été prise en compte par"), bodies[1]
    assert (
        bodies[3] == f"L'intervention concernant la demande {request.reference} est prévue le 3 juin 2026."
    ), bodies[3]


def test_each_message_queues_one_request_message_event_after_the_action_s_own_events(requests_world, bulky):
    world = requests_world
    request = file(world, bulky, urgency="urgent")  # filed + urgency check: two messages
    actions.do_transition_request(request, "acknowledge", acting_user=world.ctc_agent)
    messages = list(RequestMessage.objects.filter(request=request).order_by("pk"))
    events = list(OutboxEvent.objects.filter(case_id=request.case_id).order_by("pk"))
    message_events = [e for e in events if e.kind == "request.message"]
    assert [e.payload["message"] for e in message_events] == [m.pk for m in messages]
    assert [e.payload["kind"] for e in message_events] == ["filed", "urgency", "acknowledged"]
    assert all(e.payload["reference"] == request.reference for e in message_events)
    kinds = [e.kind for e in events]
    assert kinds.index("case.opened") < kinds.index("request.message")
    assert kinds.index("case.transition") < len(kinds) - 1 and kinds[-1] == "request.message"
