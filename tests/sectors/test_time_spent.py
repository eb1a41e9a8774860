"""The time spent on a done request: its handling unit (or an administrator) records it once, whoever
handled it (procedures.sectors.means.do_record_time_spent); pooled means' consumption counts only the
hours of the requests they handled. Through the action, the API and the request page."""

from decimal import Decimal

import pytest
from django.test import Client
from rest_framework.test import APIClient

from api.models import ApiToken
from directory.roles import Role
from engine.errors import InvalidFields, RoleNotAllowed
from engine.models import AuditEntry, OutboxEvent
from procedures.actions import do_file_request, do_transition_request
from procedures.models import InterventionRequest
from procedures.sectors import figures, means
from procedures.sectors.models import SectorAuditEntry, SectorTimeSpent
from tests.factories import PASSWORD, make_user

OUTSIDE = (1.701, 48.981)  # commune 1, outside the sector procedure: CTC Un handles it
IN_SECTOR = (1.716, 48.996)  # the régie handles tags there
STEPS = [("acknowledge", {}), ("qualify", {}), ("start_work", {}), ("finish", {"resolution_note": "Fait"})]
REGIE_STEPS = [
    ("acknowledge", {}),
    ("qualify", {}),
    ("report_work", {"resolution_note": "Tags effacés"}),
    ("finish", {"resolution_note": "Contrôlé"}),
]


def _file(active, category, point):
    return do_file_request(
        acting_user=active.world.commune_user,
        category=category,
        description="Demande (fictif)",
        lon=point[0],
        lat=point[1],
    )


def _do(request, user, steps):
    for code, fields in steps:
        do_transition_request(
            InterventionRequest.objects.get(pk=request.pk), code, acting_user=user, fields=fields
        )
    return InterventionRequest.objects.get(pk=request.pk)


def _effects():
    return (
        SectorTimeSpent.objects.count(),
        AuditEntry.objects.filter(event="time_spent_recorded").count(),
        OutboxEvent.objects.filter(kind="case.time_spent_recorded").count(),
        SectorAuditEntry.objects.filter(event="time_spent_recorded").count(),
    )


@pytest.fixture
def lit(active):
    """A lighting request outside the sector, handled and finished by CTC Un (no pooled means)."""
    request = _file(active, active.lighting, OUTSIDE)
    assert request.handler_unit == active.world.ctc and means.means_of(request) is None
    return _do(request, active.world.ctc_agent, STEPS)


def test_the_handling_unit_records_the_time_on_a_request_without_pooled_means(active, lit):
    pooled = active.version.pooled_means.get()
    result = means.do_record_time_spent(lit, acting_user=active.world.ctc_agent, hours="1,75")
    assert result is None  # no pooled means: no consumption to report
    row = SectorTimeSpent.objects.get(request=lit)
    assert row.means is None and row.hours == Decimal("1.75")
    entry = AuditEntry.objects.get(case=lit.case, event="time_spent_recorded")
    assert entry.actor == active.world.ctc_agent and entry.data == {"hours": "1.75", "means": None}
    event = OutboxEvent.objects.get(kind="case.time_spent_recorded")
    assert event.payload == {"case": lit.case_id, "hours": "1.75", "means": None}
    # the pooled means' consumption and the procedure's journal are untouched
    assert figures.consumption(pooled)["used"] == 0
    assert not SectorAuditEntry.objects.filter(event="time_spent_recorded").exists()
    assert not OutboxEvent.objects.filter(kind="sector.pooled_means_warning").exists()


def test_pooled_means_count_only_the_requests_they_handled(active, lit):
    pooled = active.version.pooled_means.get()
    tagged = _do(_file(active, active.tags, IN_SECTOR), active.regie_user, REGIE_STEPS)
    means.do_record_time_spent(lit, acting_user=active.world.admin_user, hours="3")  # an administrator
    used = means.do_record_time_spent(tagged, acting_user=active.regie_user, hours="2.5")
    assert used["used"] == Decimal("2.5") and used["capacity"] == Decimal("1200")
    assert SectorTimeSpent.objects.get(request=tagged).means == pooled
    assert SectorTimeSpent.objects.get(request=lit).means is None
    assert figures.consumption(pooled)["used"] == Decimal("2.5")  # not 5.5
    assert SectorAuditEntry.objects.filter(event="time_spent_recorded").count() == 1
    assert AuditEntry.objects.filter(event="time_spent_recorded").count() == 2


def test_refusals_save_nothing(active, lit):
    world = active.world
    other_unit = make_user(world.cu, unit=world.ctc_2, roles=[Role.AGENT, Role.SUPERVISOR], username="ctc2")
    with pytest.raises(RoleNotAllowed):
        means.do_record_time_spent(lit, acting_user=other_unit, hours="1")
    with pytest.raises(RoleNotAllowed):
        means.do_record_time_spent(lit, acting_user=world.commune_user, hours="1")
    not_done = _file(active, active.lighting, OUTSIDE)
    for request, hours, message in (
        (not_done, "1", "une fois la demande réalisée"),
        (lit, "abc", "Nombre attendu"),
        (lit, "0", "plus de zéro"),
        (lit, "-2", "plus de zéro"),
        (lit, "1,234", "au plus deux décimales"),
        (lit, "100000", "au plus 99 999 heures"),
    ):
        with pytest.raises(InvalidFields) as refused:
            means.do_record_time_spent(request, acting_user=world.ctc_agent, hours=hours)
        assert message in refused.value.errors["hours"], hours
    assert _effects() == (0, 0, 0, 0)
    means.do_record_time_spent(lit, acting_user=world.ctc_lead, hours="2")
    with pytest.raises(InvalidFields) as twice:
        means.do_record_time_spent(lit, acting_user=world.ctc_agent, hours="3")
    assert "déjà saisi" in twice.value.errors["hours"]
    assert _effects() == (1, 1, 1, 0)
    assert SectorTimeSpent.objects.get().hours == Decimal("2")


def _api(user):
    client = APIClient()
    _token, key = ApiToken.objects.create_for(user, "test")
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_the_api_records_any_done_request_and_refuses_another_unit(active, lit):
    url = f"/api/v1/sector-procedures/time-spent/{lit.reference}/"
    refused = _api(active.world.commune_user).post(url, {"hours": "1"}, format="json")
    assert refused.status_code == 403
    bad = _api(active.world.ctc_agent).post(url, {"hours": "deux"}, format="json")
    assert bad.status_code == 400 and "hours" in bad.json()["errors"]
    assert _effects() == (0, 0, 0, 0)
    done = _api(active.world.ctc_agent).post(url, {"hours": "1,5"}, format="json")
    assert done.status_code == 200, done.json()
    assert done.json()["hours"] == "1.50" and done.json()["used"] is None and done.json()["warning"] is None
    again = _api(active.world.ctc_agent).post(url, {"hours": "1"}, format="json")
    assert again.status_code == 400
    assert _effects() == (1, 1, 1, 0)


def _logged(user):
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_the_request_page_form_accepts_a_decimal_comma_and_shows_the_refusal_on_the_field(active, lit):
    agent = _logged(active.world.ctc_agent)
    page = f"/requests/{lit.reference}/"
    body = agent.get(page).content.decode()
    assert "Temps passé (heures)" in body and f'action="/requests/{lit.reference}/time-spent/"' in body
    # who may not record sees no form (the requester's commune)
    assert "Temps passé (heures)" not in _logged(active.world.commune_user).get(page).content.decode()
    wrong = agent.post(f"{page}time-spent/", {"time-hours": "2,5 h"})
    assert wrong.status_code == 400
    assert 'id="id_time-hours-errors"' in wrong.content.decode()  # on the field
    assert "Nombre attendu" in wrong.content.decode()
    assert _effects() == (0, 0, 0, 0)
    recorded = agent.post(f"{page}time-spent/", {"time-hours": "2,5"})
    assert recorded.status_code == 302
    assert SectorTimeSpent.objects.get(request=lit).hours == Decimal("2.5")
    body = agent.get(page).content.decode()
    assert "2,50 heures saisies le" in body and "Temps passé (heures)" not in body
    assert "Temps passé saisi" in body  # in the history
    twice = agent.post(f"{page}time-spent/", {"time-hours": "3"})
    assert twice.status_code == 400 and "déjà saisi" in twice.content.decode()
    assert _effects() == (1, 1, 1, 0)


def test_the_page_offers_no_form_before_the_request_is_done_and_names_the_pooled_means(active):
    not_done = _file(active, active.lighting, OUTSIDE)
    body = _logged(active.world.ctc_agent).get(f"/requests/{not_done.reference}/").content.decode()
    assert "Temps passé (heures)" not in body
    tagged = _do(_file(active, active.tags, IN_SECTOR), active.regie_user, REGIE_STEPS)
    regie = _logged(active.regie_user)
    assert regie.post(f"/requests/{tagged.reference}/time-spent/", {"time-hours": "4"}).status_code == 302
    body = regie.get(f"/requests/{tagged.reference}/").content.decode()
    assert "4 heures saisies le" in body and "Passées par la régie" in body
