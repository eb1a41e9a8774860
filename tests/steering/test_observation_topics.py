"""Topics pulled in from the observation figures: real requests resolved on time in spring and late in
September (time controlled), so the category, the commune and the handler unit are suggested with their
figures; the organiser takes one for a workshop (a chosen topic) or a committee (an agenda item), with
its audit entry and the link to the requests behind it; a suggestion that does not hold is refused."""

import html

import pytest

from engine.errors import InvalidFields
from procedures.models import ServiceLevel
from steering import actions, observation_topics
from steering.models import AgendaItem, WorkshopTopic
from tests.procedures.conftest import bulky, procedure  # noqa: F401
from tests.procedures.helpers_actions import file
from tests.steering.conftest import audit_events, paris
from tests.steering.test_meetings import referents_meeting

pytestmark = pytest.mark.django_db


def _resolved(world, category, time_machine, filed_at, done_at):
    time_machine.move_to(paris(*filed_at), tick=False)
    request = file(world, category)
    for code in ("acknowledge", "qualify", "start_work"):
        from procedures import actions as request_actions

        request_actions.do_transition_request(request, code, acting_user=world.ctc_agent, fields={})
        request.refresh_from_db()
    time_machine.move_to(paris(*done_at), tick=False)
    request_actions.do_transition_request(
        request, "finish", acting_user=world.ctc_agent, fields={"resolution_note": "Enlevé."}
    )
    return request


@pytest.fixture
def dropped(people, procedure, bulky, time_machine, settings):  # noqa: F811
    """Resolve within 14 business hours: two requests on time in May, two late in September."""
    settings.GUP_OBSERVATION_MIN_CELL = 2
    ServiceLevel.objects.create(name="Standard", acknowledge_hours=7, resolve_hours=14)
    on_time = [
        _resolved(people, bulky, time_machine, (2026, 5, 12, 9, 0), (2026, 5, 12, 15, 0)),
        _resolved(people, bulky, time_machine, (2026, 5, 19, 9, 0), (2026, 5, 19, 11, 0)),
    ]
    late = [
        _resolved(people, bulky, time_machine, (2026, 9, 7, 9, 0), (2026, 9, 21, 9, 0)),
        _resolved(people, bulky, time_machine, (2026, 9, 8, 9, 0), (2026, 9, 22, 9, 0)),
    ]
    time_machine.move_to(paris(2026, 10, 1, 9, 0), tick=False)
    return on_time, late


def test_the_categories_communes_and_units_whose_on_time_share_dropped_are_suggested(people, dropped):
    found = observation_topics.suggestions(people.dvq_officer)
    assert [s.key for s in found] == ["category:bulky", "commune:78901", "handler_unit:ctc-1"]
    category = found[0]
    assert (category.before, category.now, category.measured_before, category.measured_now) == (
        1.0,
        0.0,
        2,
        2,
    )
    assert category.title == "Demandes de la catégorie Encombrants moins souvent résolues dans les délais"
    assert category.query == {"since": "2026-07-02", "until": "2026-09-30", "category": "bulky"}
    assert "100 % de 2 du 02/04/2026 au 01/07/2026, 0 % de 2 du 02/07/2026 au 30/09/2026" in category.summary


def test_a_slice_with_too_few_requests_or_no_drop_is_not_suggested(people, dropped, settings):
    settings.GUP_OBSERVATION_MIN_CELL = 3  # two requests per period: no rate, no suggestion
    assert observation_topics.suggestions(people.dvq_officer) == []
    settings.GUP_OBSERVATION_MIN_CELL = 2
    assert observation_topics.suggestions(people.dvq_officer, today=paris(2026, 7, 1, 9, 0).date()) == []


def test_a_commune_observes_only_its_own_figures(people, dropped):
    assert [s.key for s in observation_topics.suggestions(people.commune_2_user)] == []


def test_the_organiser_takes_a_suggestion_as_a_workshop_topic_from_the_page(people, dropped, client):
    workshop = actions.do_create_meeting(
        kind="partner_workshop",
        title="Atelier propreté",
        starts_at=paris(2026, 11, 5, 9, 30),
        ends_at=paris(2026, 11, 5, 12, 0),
        place="Mairie",
        acting_user=people.dvq_officer,
    )
    client.force_login(people.dvq_officer)
    detail = html.unescape(client.get(f"/steering/meetings/{workshop.pk}/").content.decode())
    assert f"/steering/meetings/{workshop.pk}/observation-topics/" in detail
    page = html.unescape(client.get(f"/steering/meetings/{workshop.pk}/observation-topics/").content.decode())
    assert "Demandes de Commune Une moins souvent résolues dans les délais" in page
    assert "100 % de 2 demandes" in page and "0 % de 2 demandes" in page
    assert "/observation/requests.xlsx?since=2026-07-02&until=2026-09-30&category=bulky" in page
    response = client.post(f"/steering/meetings/{workshop.pk}/observation-topics/", {"key": "category:bulky"})
    assert response.status_code == 302
    topic = WorkshopTopic.objects.get()
    assert (
        topic.chosen and topic.proposed_by == people.dvq_officer and topic.evidence["key"] == "category:bulky"
    )
    assert audit_events()[-1] == "observation_topic_taken"
    detail = html.unescape(client.get(f"/steering/meetings/{workshop.pk}/").content.decode())
    assert "Tiré des chiffres de l’observation" in detail
    assert "/observation/?since=2026-07-02&until=2026-09-30&category=bulky" in detail
    again = client.post(f"/steering/meetings/{workshop.pk}/observation-topics/", {"key": "category:bulky"})
    assert again.status_code == 302 and WorkshopTopic.objects.count() == 1
    assert "Ce sujet est déjà retenu" in html.unescape(client.get(again["Location"]).content.decode())


def test_for_another_meeting_the_topic_goes_on_the_agenda(people, dropped):
    meeting = referents_meeting(people, agenda=["Bilan"])
    item = actions.do_take_observation_topic(
        meeting, key="handler_unit:ctc-1", acting_user=people.dvq_officer
    )
    assert (
        item.position == 2
        and item.title == "Demandes traitées par CTC Un moins souvent résolues dans les délais"
    )
    assert item.evidence["query"]["handler_unit"] == "ctc-1"


def test_a_suggestion_that_does_not_hold_or_a_partner_is_refused(people, dropped, client):
    meeting = referents_meeting(people)
    before = audit_events()
    with pytest.raises(InvalidFields) as refused:
        actions.do_take_observation_topic(meeting, key="category:other", acting_user=people.dvq_officer)
    assert "ne tient plus" in refused.value.errors["key"]
    assert not AgendaItem.objects.exists() and audit_events() == before
    client.force_login(people.commune_user)  # invited, not an organiser
    assert client.get(f"/steering/meetings/{meeting.pk}/observation-topics/").status_code == 403
    response = client.post(f"/steering/meetings/{meeting.pk}/observation-topics/", {"key": "category:bulky"})
    assert response.status_code == 403 and not AgendaItem.objects.exists()
