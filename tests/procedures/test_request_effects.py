"""What a step does to the request and tells the commune: named by the definition from version 3 on
(the registered action ``request_effect``), chosen by the transition's code for cases on versions 1
and 2 (one compatibility mapping)."""

from types import SimpleNamespace

import pytest

from engine.actions import do_retire_version
from engine.errors import InvalidFields
from engine.models import ProcedureVersion
from procedures import actions
from procedures.actions.transitions import effects_of
from procedures.engine_hooks import request_effect
from procedures.models import MessageKind
from tests.procedures.helpers_actions import file


def walk(request, world):
    actions.do_transition_request(request, "acknowledge", acting_user=world.ctc_agent)
    actions.do_transition_request(request, "qualify", acting_user=world.ctc_agent)
    actions.do_transition_request(
        request, "finish", acting_user=world.ctc_agent, fields={"resolution_note": "Enlevé."}
    )
    request.refresh_from_db()
    return [message.kind for message in request.messages.order_by("created_at", "pk")]


def test_a_case_on_version_3_gets_the_effects_its_definition_names(requests_world, bulky):
    request = file(requests_world, bulky)
    assert request.case.version.number == 3
    kinds = walk(request, requests_world)
    assert kinds[-3:] == [MessageKind.ACKNOWLEDGED, MessageKind.QUALIFIED, MessageKind.DONE]
    assert request.resolution_note == "Enlevé." and request.resolved_at is not None


def test_a_running_case_on_version_2_keeps_the_behaviour_chosen_by_the_transition_code(requests_world, bulky):
    do_retire_version(ProcedureVersion.objects.get(number=3), acting_user=None)
    request = file(requests_world, bulky)
    assert request.case.version.number == 2
    kinds = walk(request, requests_world)
    assert kinds[-3:] == [MessageKind.ACKNOWLEDGED, MessageKind.QUALIFIED, MessageKind.DONE]
    assert request.resolution_note == "Enlevé." and request.resolved_at is not None


def test_from_version_3_a_transition_naming_no_effect_has_none(requests_world, bulky):
    request = file(requests_world, bulky)
    assert effects_of(request.case, "acknowledge") == []  # nothing recorded: nothing named
    request.case.version.number = 2
    assert effects_of(request.case, "acknowledge") == ["acknowledge"]
    assert effects_of(request.case, "redirect") == []  # carried out by its own action


def test_an_unknown_effect_is_refused_when_the_transition_fires(requests_world, bulky):
    request = file(requests_world, bulky)
    with pytest.raises(InvalidFields) as raised:
        request_effect(SimpleNamespace(case=request.case), "explode")
    assert list(raised.value.errors) == ["effect"]
    assert "_request_effects" not in request.case.__dict__
