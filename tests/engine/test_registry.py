"""The registry: domain guards and actions with typed parameters, and the deadline actions."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import yaml

from engine import registry
from engine.actions import do_fire_transition
from engine.definitions import validate
from engine.errors import DefinitionInvalid, GuardFailed
from engine.models import Deadline
from engine.registry import ROLE, Param
from tests.engine.conftest import FULL_YAML
from tests.engine.helpers import open_case, publish

PARIS = ZoneInfo("Europe/Paris")
pytestmark = pytest.mark.django_db


@pytest.fixture
def domain_guard():
    calls = []

    @registry.guard("max_cost", params={"limit": int, "role": Param(ROLE, required=False)})
    def max_cost(ctx, limit, role=None):
        calls.append((limit, role))
        if (ctx.value("cost") or 0) > limit:
            raise GuardFailed("cost", f"The cost is above {limit}.")

    yield calls
    registry.unregister(registry.GUARDS, "max_cost")


def with_finish_guard(guard):
    document = yaml.safe_load(FULL_YAML)
    document["transitions"]["finish"]["guards"] = [guard]
    return document


def test_a_domain_guard_is_usable_and_its_parameters_are_checked(domain_guard):
    assert validate(with_finish_guard({"max_cost": {"limit": 100}}))["transitions"]["finish"]["guards"] == [
        {"name": "max_cost", "params": {"limit": 100}}
    ]
    with pytest.raises(DefinitionInvalid) as caught:
        validate(with_finish_guard({"max_cost": {"limit": "a lot", "role": "mayor"}}))
    assert caught.value.problems == [
        "transitions.finish.guards[0].max_cost.limit: doit être un nombre entier",
        "transitions.finish.guards[0].max_cost.role: le rôle « mayor » n'est pas déclaré dans roles",
    ]


def test_a_domain_guard_runs_at_transition_time(world, domain_guard, time_machine):
    time_machine.move_to(datetime(2026, 3, 2, 9, 0, tzinfo=PARIS), tick=False)
    text = FULL_YAML.replace(
        "guards: [{field_required: {field: outcome}}]", "guards: [{max_cost: {limit: 100}}]"
    )
    publish(text)
    case = open_case(world)
    do_fire_transition(case, "acknowledge", acting_user=world.ctc_agent)
    with pytest.raises(GuardFailed) as caught:
        do_fire_transition(
            case, "finish", acting_user=world.ctc_agent, fields={"outcome": "repaired", "cost": 250}
        )
    assert (caught.value.field, str(caught.value)) == ("cost", "The cost is above 100.")
    do_fire_transition(
        case, "finish", acting_user=world.ctc_agent, fields={"outcome": "repaired", "cost": 50}
    )
    assert domain_guard == [(100, None), (100, None)]


def test_registering_two_functions_under_one_name_is_refused(domain_guard):
    with pytest.raises(ValueError, match="already registered"):
        registry.guard("max_cost")(lambda ctx: None)


def test_start_and_stop_deadline_actions_restart_and_stop_a_clock(world, time_machine):
    time_machine.move_to(datetime(2026, 3, 2, 9, 0, tzinfo=PARIS), tick=False)
    text = FULL_YAML.replace(
        "  resume:\n    from: [waiting]\n    to: acknowledged\n    roles: [handler]\n",
        "  resume:\n    from: [waiting]\n    to: acknowledged\n    roles: [handler]\n"
        "    actions: [{start_deadline: {deadline: resolve}}, {stop_deadline: {deadline: acknowledge}}]\n",
    )
    publish(text)
    case = open_case(world)
    do_fire_transition(case, "acknowledge", acting_user=world.ctc_agent)
    do_fire_transition(case, "wait", acting_user=world.ctc_agent, fields={"until": "2026-03-03"})
    time_machine.move_to(datetime(2026, 3, 3, 9, 0, tzinfo=PARIS), tick=False)
    do_fire_transition(case, "resume", acting_user=world.ctc_agent)
    resolves = list(
        Deadline.objects.filter(case=case, kind="resolve").order_by("pk").values_list("state", "due_at")
    )
    assert resolves == [("void", resolves[0][1]), ("running", datetime(2026, 3, 3, 14, 30, tzinfo=PARIS))]
