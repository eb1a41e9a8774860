"""The web gives the same answers as the API for the objects a step names (no browser): a master request
out of scope reads as unknown, the agents offered are exactly those who may be put in charge, and a
person out of reach is "unknown" whoever they are."""

import pytest
from django.urls import reverse

from directory.models import UnitKind
from directory.roles import Role
from engine.models import AuditEntry, OutboxEvent
from procedures import actions
from procedures.models import RequestFollower
from tests.factories import POINT_IN_COMMUNE_2, make_unit, make_user
from tests.web.test_requests import EN, body_of, file_request


@pytest.fixture
def setup(world, procedure, category):
    return world


def written():
    return AuditEntry.objects.count(), OutboxEvent.objects.count(), RequestFollower.objects.count()


def mark_duplicate(client, request, master):
    return client.post(
        reverse("request-transition", args=[request.reference, "mark_duplicate"]),
        {"t-mark_duplicate-master": master, "t-mark_duplicate-reason": "Même trou"},
        **EN,
    )


def error_lines(page):
    return [line.strip() for line in page.splitlines() if "No request has this reference." in line]


def test_a_master_request_out_of_scope_reads_as_unknown_on_the_page(client, setup):
    other = file_request(client, setup.commune_2_user, lon=POINT_IN_COMMUNE_2[0], lat=POINT_IN_COMMUNE_2[1])
    own = file_request(client, setup.commune_user)
    client.force_login(setup.ctc_agent)
    assert client.get(reverse("request-detail", args=[other.reference])).status_code == 404
    before = written()
    refused = mark_duplicate(client, own, other.reference)
    unknown = mark_duplicate(client, own, "DI-0000-999999")
    assert refused.status_code == unknown.status_code == 400
    assert error_lines(body_of(refused)) == error_lines(body_of(unknown)) != []
    assert written() == before
    own.refresh_from_db()
    assert own.case.state == "submitted" and own.duplicate_of is None


def test_qualify_offers_exactly_the_agents_who_may_be_put_in_charge(client, setup):
    team = make_unit(
        setup.ctc.organisation, UnitKind.SERVICE, code="ctc-team", name="Équipe", parent=setup.ctc
    )
    member = make_user(setup.ctc.organisation, unit=team, roles=[Role.AGENT], username="team-agent")
    request = file_request(client, setup.commune_user)
    request.refresh_from_db()
    assert request.handler_unit == setup.ctc
    client.force_login(setup.ctc_lead)
    page = body_of(client.get(reverse("request-detail", args=[request.reference]), **EN))
    offered = set(actions.put_in_charge_candidates(request).values_list("pk", flat=True))
    assert offered == {setup.ctc_agent.pk, setup.ctc_lead.pk, member.pk}
    for pk in offered:
        assert f'<option value="{pk}"' in page
    assert (
        f'<option value="{setup.waste_agent.pk}"'
        not in page.split('name="t-qualify-handler_agent"')[1].split("</select>")[0]
    )
    response = client.post(
        reverse("request-transition", args=[request.reference, "qualify"]),
        {
            "t-qualify-category": "encombrants",
            "t-qualify-urgency": "normal",
            "t-qualify-handler_unit": setup.ctc.pk,
            "t-qualify-handler_agent": member.pk,
        },
        **EN,
    )
    assert response.status_code == 302, body_of(response)[-2000:]
    request.refresh_from_db()
    assert (request.case.state, request.handler_agent) == ("qualified", member)


def test_the_bulk_form_offers_the_same_agents_and_qualifies_with_one_of_a_unit_below(client, setup):
    team = make_unit(
        setup.ctc.organisation, UnitKind.SERVICE, code="ctc-team", name="Équipe", parent=setup.ctc
    )
    member = make_user(setup.ctc.organisation, unit=team, roles=[Role.AGENT], username="team-agent")
    request = file_request(client, setup.commune_user)
    client.force_login(setup.ctc_lead)
    page = body_of(client.get(reverse("queue"), {"queue": "to_qualify"}, **EN))
    assert f'<option value="{member.pk}"' in page
    response = client.post(
        reverse("queue-assign"), {"queue": "to_qualify", "requests": [request.pk], "agent": member.pk}, **EN
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert (request.case.state, request.handler_agent) == ("qualified", member)


def test_an_inactive_person_reads_as_unknown_on_the_share_form(client, setup):
    request = file_request(client, setup.commune_user)
    make_user(setup.landlord, username="parti", is_active=False)
    client.force_login(setup.ctc_agent)
    url = reverse("request-share", args=[request.reference])
    before = written()
    unknown = client.post(url, {"share-user": "nobody"}, **EN)
    inactive = client.post(url, {"share-user": "parti"}, **EN)
    assert unknown.status_code == inactive.status_code == 400
    message = "Unknown user: give the username or id of an active user."
    assert message in body_of(unknown) and message in body_of(inactive)
    assert "inactive" not in body_of(inactive)
    assert written() == before
