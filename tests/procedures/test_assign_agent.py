"""Putting an agent in charge of a request at any stage while it is open (do_assign_request_agent)."""

import pytest

from engine.errors import InvalidFields, InvalidTransition, RoleNotAllowed
from engine.models import AuditEntry, OutboxEvent, RoleHolder
from procedures import actions
from tests.factories import make_unit, make_user
from tests.procedures.helpers_actions import file


def qualified(world, bulky):
    request = file(world, bulky)
    actions.do_transition_request(
        request, "qualify", acting_user=world.ctc_agent, fields={"handler_agent": world.ctc_agent.pk}
    )
    request.refresh_from_db()
    return request


def test_a_supervisor_reassigns_a_qualified_request_to_an_agent_of_a_team_below(requests_world, bulky):
    world = requests_world
    request = qualified(world, bulky)
    team = make_unit(world.cu, code="ctc-1-east", parent=world.ctc)
    newcomer = make_user(world.cu, unit=team, roles=["agent"], username="newcomer")
    revision = request.case.revision
    actions.do_assign_request_agent(request, "newcomer", acting_user=world.ctc_lead)

    request.refresh_from_db()
    assert (request.handler_agent, request.case.state, request.case.revision) == (
        newcomer,
        "qualified",
        revision + 1,
    )
    assert sorted(
        RoleHolder.objects.filter(case=request.case, role="handler").values_list("party", flat=True)
    ) == [
        f"unit:{world.ctc.pk}",
        f"user:{newcomer.pk}",
    ]
    entry = AuditEntry.objects.filter(case=request.case, event="role_assigned").latest("pk")
    assert (entry.actor, entry.data["role"], entry.data["after"]) == (
        world.ctc_lead,
        "handler",
        [f"unit:{world.ctc.pk}", f"user:{newcomer.pk}"],
    )
    event = OutboxEvent.objects.filter(case=request.case, kind="case.role_assigned").latest("pk")
    assert event.payload["parties"] == [f"unit:{world.ctc.pk}", f"user:{newcomer.pk}"]
    # The new agent can act on it (a holder of the handler role).
    actions.do_transition_request(request, "start_work", acting_user=newcomer)
    request.refresh_from_db()
    assert request.case.state == "in_progress"
    # Reassigning again (by id) replaces the agent; the same agent again changes nothing.
    actions.do_assign_request_agent(request, str(world.ctc_agent.pk), acting_user=world.ctc_lead)
    before = AuditEntry.objects.count()
    actions.do_assign_request_agent(request, world.ctc_agent, acting_user=world.ctc_lead)
    request.refresh_from_db()
    assert request.handler_agent == world.ctc_agent and AuditEntry.objects.count() == before


def test_it_refuses_an_agent_outside_the_handler_unit_an_unknown_user_and_a_closed_request(
    requests_world, bulky
):
    world = requests_world
    request = qualified(world, bulky)
    before = (AuditEntry.objects.count(), OutboxEvent.objects.count())
    for agent in (world.waste_agent, "nobody", None, world.commune_user):
        with pytest.raises(InvalidFields) as raised:
            actions.do_assign_request_agent(request, agent, acting_user=world.ctc_lead)
        assert set(raised.value.errors) == {"agent"}
    request.refresh_from_db()
    assert request.handler_agent == world.ctc_agent
    assert (AuditEntry.objects.count(), OutboxEvent.objects.count()) == before
    actions.do_transition_request(
        request, "reject", acting_user=world.ctc_agent, fields={"turn_to": "x"}, reason="Non"
    )
    with pytest.raises(InvalidTransition):
        actions.do_assign_request_agent(request, world.ctc_lead, acting_user=world.ctc_lead)


def test_only_the_dispatcher_and_supervisor_may_assign(requests_world, bulky):
    world = requests_world
    request = qualified(world, bulky)
    for outsider in (world.commune_user, world.dvq_officer, world.waste_agent):
        with pytest.raises(RoleNotAllowed):
            actions.do_assign_request_agent(request, world.ctc_lead, acting_user=outsider)
    request.refresh_from_db()
    assert request.handler_agent == world.ctc_agent
