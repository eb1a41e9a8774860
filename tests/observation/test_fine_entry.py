"""Fines entered from the request page (a form) and through the API, both through do_record_fine:
recorded with its audit entry and event; bad input refused naming the field, nothing stored; only the
commune's staff or an administrator (403), out of scope 404."""

import datetime

import pytest
from django.test import Client
from rest_framework.test import APIClient

from engine.models import OutboxEvent
from observation.models import Fine, ObservationAuditEntry
from tests.procedures.helpers_actions import file, paris


@pytest.fixture
def tipping(requests_world, bulky, time_machine):
    time_machine.move_to(paris(2026, 6, 1, 9, 0), tick=False)
    request = file(requests_world, bulky)
    time_machine.move_to(paris(2026, 6, 3, 9, 0), tick=False)
    return request


def browser(user):
    client = Client()
    client.force_login(user)
    return client


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def nothing_recorded():
    return (
        not Fine.objects.exists() and not ObservationAuditEntry.objects.filter(event="fine_recorded").exists()
    )


def test_the_commune_records_a_fine_from_the_request_page(tipping, requests_world):
    page = f"/requests/{tipping.reference}/"
    client = browser(requests_world.commune_user)
    html = client.get(page).content.decode()
    assert "Enregistrer une amende dressée par la police" in html and 'name="issued_on"' in html
    response = client.post(
        f"/requests/{tipping.reference}/fines/",
        {"issued_on": "2026-06-02", "kind": "fly_tipping", "amount_eur": "135,50"},
    )
    assert response.status_code == 302 and response["Location"] == page
    fine = Fine.objects.get()
    assert (fine.request, fine.issued_on, fine.kind, str(fine.amount_eur), fine.recorded_by) == (
        tipping, datetime.date(2026, 6, 2), "fly_tipping", "135.50", requests_world.commune_user,
    )  # fmt: skip
    assert ObservationAuditEntry.objects.filter(
        event="fine_recorded", actor=requests_world.commune_user
    ).exists()
    assert OutboxEvent.objects.filter(kind="observation.fine_recorded", case_id=tipping.case_id).exists()
    assert "135,50 €" in client.get(page).content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"issued_on": "2026-06-04", "kind": "fly_tipping"}, "ne peut pas être dans le futur"),
        ({"issued_on": "2026-05-31", "kind": "fly_tipping"}, "précéder le dépôt de la demande"),
        ({"issued_on": "2026-06-02", "kind": "fly_tipping", "amount_eur": "12,345"}, "deux décimales"),
        ({"issued_on": "2026-06-02", "kind": "speeding"}, "speeding"),
        ({"kind": "fly_tipping"}, "obligatoire"),
    ],
)
def test_a_bad_fine_from_the_page_is_a_form_error_and_nothing_is_stored(
    tipping, requests_world, data, message
):
    response = browser(requests_world.commune_user).post(f"/requests/{tipping.reference}/fines/", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html and 'id="fines-title"' in html
    assert nothing_recorded()


def test_a_handler_does_not_see_the_form_and_is_refused_and_another_commune_gets_404(tipping, requests_world):
    world = requests_world
    assert (
        'name="issued_on"'
        not in browser(world.ctc_agent).get(f"/requests/{tipping.reference}/").content.decode()
    )
    data = {"issued_on": "2026-06-02", "kind": "littering"}
    assert browser(world.ctc_agent).post(f"/requests/{tipping.reference}/fines/", data).status_code == 403
    assert (
        browser(world.commune_2_user).post(f"/requests/{tipping.reference}/fines/", data).status_code == 404
    )
    assert nothing_recorded()


def test_the_api_lists_and_records_fines(tipping, requests_world):
    url = f"/api/v1/requests/{tipping.pk}/fines/"
    client = api(requests_world.commune_user)
    response = client.post(
        url, {"issued_on": "2026-06-02", "kind": "littering", "amount_eur": 68.5}, format="json"
    )
    assert response.status_code == 201, response.content
    assert {k: response.json()[k] for k in ("issued_on", "kind", "amount_eur")} == {
        "issued_on": "2026-06-02", "kind": "littering", "amount_eur": "68.50",
    }  # fmt: skip
    client.post(url, {"issued_on": "2026-06-03", "kind": "other"}, format="json")
    listed = api(requests_world.ctc_agent).get(url)
    assert listed.status_code == 200
    assert [(row["kind"], row["amount_eur"]) for row in listed.json()["results"]] == [
        ("littering", "68.50"), ("other", None),
    ]  # fmt: skip
    assert ObservationAuditEntry.objects.filter(event="fine_recorded").count() == 2


def test_the_api_refuses_bad_fines_naming_the_field_and_out_of_scope_callers(tipping, requests_world):
    world = requests_world
    url = f"/api/v1/requests/{tipping.pk}/fines/"
    for data, field in [
        ({"issued_on": "2026-06-02", "kind": "speeding"}, "kind"),
        ({"issued_on": "demain", "kind": "other"}, "issued_on"),
        ({"issued_on": "2026-06-02", "kind": "other", "amount_eur": "-4"}, "amount_eur"),
        ({"issued_on": "2026-06-09", "kind": "other"}, "issued_on"),
    ]:
        response = api(world.commune_user).post(url, data, format="json")
        assert response.status_code == 400, (data, response.content)
        assert field in response.content.decode()
    assert (
        api(world.ctc_agent)
        .post(url, {"issued_on": "2026-06-02", "kind": "other"}, format="json")
        .status_code
        == 403
    )
    assert api(world.commune_2_user).get(url).status_code == 404
    assert nothing_recorded()
