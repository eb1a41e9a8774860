"""Bulk (re)assignment of the agent in charge from every queue, through do_assign_request_agent."""

import pytest
from django.urls import reverse

from engine.models import AuditEntry
from procedures import actions
from tests.factories import make_user
from tests.web.test_requests import EN, body_of, file_request


@pytest.fixture
def setup(world, procedure, category):
    return world


def test_a_team_lead_reassigns_qualified_requests_from_the_team_queue(client, setup):
    first = file_request(client, setup.commune_user, description="un")
    second = file_request(client, setup.commune_user, description="deux")
    for item in (first, second):
        actions.do_transition_request(
            item, "qualify", acting_user=setup.ctc_lead, fields={"handler_agent": setup.ctc_agent.pk}
        )
    colleague = make_user(setup.cu, unit=setup.ctc, roles=["agent"], username="colleague")
    client.force_login(setup.ctc_lead)
    page = body_of(client.get(reverse("queue"), {"queue": "team"}, **EN))
    assert 'form="bulk-assign"' in page and "Assign to" in page and "Qualify and assign to" not in page
    response = client.post(
        reverse("queue-assign"), {"queue": "team", "requests": [first.pk], "agent": colleague.pk}, **EN
    )
    assert response.status_code == 302 and response["Location"].endswith("?queue=team")
    first.refresh_from_db()
    second.refresh_from_db()
    assert [(i.case.state, i.handler_agent) for i in (first, second)] == [
        ("qualified", colleague),
        ("qualified", setup.ctc_agent),
    ]
    entry = AuditEntry.objects.filter(case=first.case, event="role_assigned").latest("pk")
    assert (entry.actor, entry.data["after"][-1]) == (setup.ctc_lead, f"user:{colleague.pk}")
    assert f"Assigned to colleague: {first.reference}." in body_of(client.get(response["Location"], **EN))


def test_bulk_assignment_from_a_queue_refuses_an_unknown_queue_and_changes_nothing(client, setup):
    filed = file_request(client, setup.commune_user)
    client.force_login(setup.ctc_lead)
    before = AuditEntry.objects.count()
    response = client.post(
        reverse("queue-assign"), {"queue": "nope", "requests": [filed.pk], "agent": setup.ctc_agent.pk}, **EN
    )
    assert response.status_code == 302
    assert "Unknown queue." in body_of(client.get(response["Location"], **EN))
    filed.refresh_from_db()
    assert filed.handler_agent is None and AuditEntry.objects.count() == before
