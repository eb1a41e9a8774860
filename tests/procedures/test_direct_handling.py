"""Direct handling (routing rule 4, e.g. bulky waste to the waste direction): the handler acts alone.

The rule (docs/routing.md, "Direct handling"): a request the routing sends by a direct-handling
competence has no dispatcher. The CTC of the commune is not its dispatcher, so it is not in the CTC's
"À qualifier" (nor any) queue, CTC agents are not e-mailed about it, hold no role on it (no step) and do
not see it; the handler's unit does all of that, and its supervisors are the request's supervisors.
"""

import pytest
from django.core import mail

from directory.models import Competence
from directory.roles import Role
from engine.errors import RoleNotAllowed
from engine.models import RoleHolder
from procedures.actions import do_transition_request
from procedures.models import Notification
from procedures.scope import requests_visible_to
from tests.factories import make_category, make_user
from tests.procedures.helpers_actions import deliver, file
from web import queries


@pytest.fixture
def direct_request(requests_world, bulky):
    world = requests_world
    Competence.objects.create(unit=world.waste, category=bulky, direct_handling=True)
    for user in (world.ctc_agent, world.ctc_lead, world.waste_agent):
        user.email = f"{user.username}@cu.example"
        user.save()
    world.waste_lead = make_user(
        world.cu, unit=world.waste, roles=[Role.AGENT, Role.SUPERVISOR], email="waste-lead@cu.example"
    )
    mail.outbox.clear()
    request = file(world, bulky)
    deliver()
    return request


def test_a_directly_handled_request_has_no_dispatcher_and_its_unit_supervises_it(
    requests_world, direct_request
):
    world = requests_world
    assert (direct_request.handler_unit, direct_request.dispatcher_unit) == (world.waste, None)
    holders = dict(RoleHolder.objects.filter(case=direct_request.case).values_list("role", "party"))
    assert "dispatcher" not in holders
    assert holders["handler"] == f"unit:{world.waste.pk}"
    assert holders["supervisor"] == f"unit:{world.waste.pk}#supervisor"


def test_it_is_in_the_waste_direction_queues_and_in_no_ctc_queue(requests_world, direct_request):
    world = requests_world
    assert queries.queue_counts(world.ctc_agent) == {"mine": 0, "team": 0, "to_qualify": 0, "overdue": 0}
    assert not queries.queue(world.ctc_agent, "to_qualify").exists()
    assert list(queries.queue(world.waste_agent, "team")) == [direct_request]
    assert list(queries.queue(world.waste_agent, "to_qualify")) == [direct_request]


def test_the_ctc_to_qualify_page_does_not_list_it(client, requests_world, direct_request):
    client.force_login(requests_world.ctc_agent)
    page = client.get("/queue/?queue=to_qualify")
    assert page.status_code == 200
    assert direct_request.reference not in page.content.decode()
    client.force_login(requests_world.waste_agent)
    assert direct_request.reference in client.get("/queue/?queue=to_qualify").content.decode()


def test_only_the_waste_direction_is_emailed_about_it(requests_world, direct_request):
    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == ["waste-lead@cu.example", "waste@cu.example"]
    notified = set(
        Notification.objects.filter(request=direct_request).values_list("user__username", flat=True)
    )
    assert {"waste", requests_world.waste_lead.username} <= notified
    assert not notified & {requests_world.ctc_agent.username, requests_world.ctc_lead.username}


def test_ctc_agents_get_no_step_on_it_and_do_not_see_it(requests_world, direct_request):
    world = requests_world
    for user in (world.ctc_agent, world.ctc_lead):
        assert not requests_visible_to(user).filter(pk=direct_request.pk).exists()
        with pytest.raises(RoleNotAllowed):
            do_transition_request(direct_request, "acknowledge", acting_user=user)
    do_transition_request(direct_request, "acknowledge", acting_user=world.waste_agent)
    direct_request.case.refresh_from_db()
    assert direct_request.case.state == "acknowledged"


def test_a_category_without_direct_handling_keeps_the_ctc_as_dispatcher(requests_world):
    world = requests_world
    potholes = make_category("potholes-direct-test", name="Nids-de-poule")
    Competence.objects.create(unit=world.ctc, category=potholes)
    request = file(world, potholes)
    assert (request.handler_unit, request.dispatcher_unit) == (world.ctc, world.ctc)
    holders = dict(RoleHolder.objects.filter(case=request.case).values_list("role", "party"))
    assert holders["dispatcher"] == f"unit:{world.ctc.pk}"
    assert holders["supervisor"] == f"unit:{world.ctc.pk}#supervisor"
