"""The TFPB year through the API: programme, actions, submission, parallel review with a request for changes,
validation, realisation, yearly review, exports (XLSX reopened and its totals checked); scope, bad input."""

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from directory.models import OrganisationKind, PartnerReview
from directory.roles import Role
from engine.models import OutboxEvent
from tests.factories import make_organisation, make_user
from tfpb.models import Action, Programme, Status, TfpbAuditEntry

BASE = "/api/v1/tfpb"


def _pending(client):
    response = client.get(f"{BASE}/partner-reviews/", {"status": "pending"})
    assert response.status_code == 200, response.content
    return response.json()["results"]


def _answer_all(tfpb, as_user, *, changes_by=None):
    for organisation, referent in tfpb.partners:
        client = as_user(referent)
        [review] = _pending(client)
        if organisation == changes_by:
            response = client.post(
                f"{BASE}/partner-reviews/{review['id']}/request-changes/",
                {"comment": "Préciser"},
                format="json",
            )
        else:
            response = client.post(f"{BASE}/partner-reviews/{review['id']}/approve/", {}, format="json")
        assert response.status_code == 200, response.content


@pytest.mark.django_db
def test_the_whole_year_through_the_api(tfpb, as_user):
    landlord = as_user(tfpb.world.landlord_agent)
    response = landlord.post(
        f"{BASE}/programmes/",
        {
            "convention": tfpb.convention.pk,
            "year": 2025,
            "qpv": tfpb.world.qpv.code,
            "expected_abatement_eur": "100 000",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    programme_id = response.json()["id"]
    for axis, amount in [
        ("reinforced_upkeep", "60 000,00"),
        ("waste", "30000,5"),
        ("tranquillity", "12 000"),
    ]:
        response = landlord.post(
            f"{BASE}/programmes/{programme_id}/actions/",
            {
                "axis": axis,
                "title": f"Action {axis}",
                "planned_amount_eur": amount,
                "indicators": [{"name": "Passages", "unit": "par semaine", "target": "3"}],
            },
            format="json",
        )
        assert response.status_code == 200, response.content
    body = response.json()
    assert body["planned_total_eur"] == "102000.50" and body["covers_expected_abatement"] is True

    assert landlord.post(f"{BASE}/programmes/{programme_id}/submit/").status_code == 200
    _answer_all(tfpb, as_user, changes_by=tfpb.world.commune)
    assert Programme.objects.get(pk=programme_id).status == Status.CHANGES_REQUESTED
    assert landlord.post(f"{BASE}/programmes/{programme_id}/submit/").status_code == 200
    _answer_all(tfpb, as_user)
    assert landlord.get(f"{BASE}/programmes/{programme_id}/").json()["status"] == "validated"

    for action in Action.objects.filter(programme_id=programme_id):
        indicator = action.indicators.get()
        response = landlord.post(
            f"{BASE}/programmes/{programme_id}/actions/{action.pk}/realisation/",
            {"realised_amount_eur": "10 000,25", "comment": "Fait", "indicators": {str(indicator.pk): "2,5"}},
            format="json",
        )
        assert response.status_code == 200, response.content
    response = landlord.post(
        f"{BASE}/programmes/{programme_id}/submit-review/", {"comment": "Bilan"}, format="json"
    )
    assert response.status_code == 200, response.content
    _answer_all(tfpb, as_user)
    body = landlord.get(f"{BASE}/programmes/{programme_id}/").json()
    assert body["review_status"] == "validated" and body["realised_total_eur"] == "30000.75"

    response = landlord.get(f"{BASE}/programmes/{programme_id}/xlsx/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    actions_rows, total_row = rows[:-1], rows[-1]
    assert sum(Decimal(str(r[3])) for r in actions_rows) == Decimal("102000.50")
    assert sum(Decimal(str(r[4])) for r in actions_rows) == Decimal("30000.75")
    assert total_row[3] == f"=SUM(D2:D{len(actions_rows) + 1})"
    by_axis = {r[0]: r for r in book.worksheets[2].iter_rows(min_row=2, values_only=True)}
    assert sum(Decimal(str(r[1])) for r in by_axis.values()) == Decimal("102000.50")

    response = landlord.get(f"{BASE}/programmes/{programme_id}/pdf/")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert OutboxEvent.objects.filter(kind="tfpb.year_review_validated").count() == 1


@pytest.mark.django_db
def test_lists_are_scoped_and_out_of_scope_is_404(tfpb, as_user, django_assert_max_num_queries):
    other_landlord = make_organisation(
        OrganisationKind.LANDLORD, code="autre-bailleur", name="Autre bailleur"
    )
    stranger = make_user(other_landlord, roles=[Role.AGENT], username="other-landlord")
    landlord = as_user(tfpb.world.landlord_agent)
    created = landlord.post(
        f"{BASE}/programmes/",
        {"convention": tfpb.convention.pk, "year": 2025, "qpv": tfpb.world.qpv.code},
        format="json",
    ).json()
    assert created["expected_abatement_eur"] == "120000.00"
    outsider = as_user(stranger)
    assert outsider.get(f"{BASE}/conventions/").json()["results"] == []
    assert outsider.get(f"{BASE}/programmes/{created['id']}/").status_code == 404
    assert outsider.get(f"{BASE}/programmes/{created['id']}/xlsx/").status_code == 404
    other_commune = as_user(tfpb.world.commune_2_user)
    assert other_commune.get(f"{BASE}/conventions/{tfpb.convention.pk}/").status_code == 404
    commune = as_user(tfpb.world.commune_user)
    with django_assert_max_num_queries(8):
        conventions = commune.get(f"{BASE}/conventions/").json()["results"]
    assert [c["id"] for c in conventions] == [tfpb.convention.pk]
    landlord.post(
        f"{BASE}/programmes/{created['id']}/actions/",
        {"axis": "waste", "title": "A", "planned_amount_eur": "1"},
    )
    assert landlord.post(f"{BASE}/programmes/{created['id']}/submit/").status_code == 200
    with django_assert_max_num_queries(8):
        reviews = commune.get(f"{BASE}/partner-reviews/").json()["results"]
    assert [r["programme"] for r in reviews] == [created["id"]] and reviews[0]["stage"] == "programme"
    assert outsider.get(f"{BASE}/partner-reviews/").json()["results"] == []
    assert outsider.get(f"{BASE}/partner-reviews/{reviews[0]['id']}/").status_code == 404
    with django_assert_max_num_queries(12):
        response = landlord.get(f"{BASE}/programmes/")
    assert response.status_code == 200 and len(response.json()["results"]) == 1


@pytest.mark.django_db
def test_it_refuses_bad_amounts_and_a_qpv_outside_the_convention_in_french(tfpb, as_user):
    landlord = as_user(tfpb.world.landlord_agent)
    response = landlord.post(
        f"{BASE}/programmes/",
        {"convention": tfpb.convention.pk, "year": 2025, "qpv": "nowhere"},
        format="json",
    )
    assert response.status_code == 400 and "n'est pas couvert" in str(response.json())
    programme = landlord.post(
        f"{BASE}/programmes/",
        {"convention": tfpb.convention.pk, "year": 2025, "qpv": tfpb.world.qpv.code},
        format="json",
    ).json()
    audit = TfpbAuditEntry.objects.count()
    for bad in ["-12", "douze", "1.234,5"]:
        response = landlord.post(
            f"{BASE}/programmes/{programme['id']}/actions/",
            {"axis": "waste", "title": "Encombrants", "planned_amount_eur": bad},
            format="json",
        )
        assert response.status_code == 400, bad
        assert "planned_amount_eur" in response.json().get(
            "errors", response.json()
        ) or "planned_amount_eur" in str(response.json())
    response = landlord.post(
        f"{BASE}/programmes/{programme['id']}/actions/",
        {"axis": "waste", "title": "Encombrants", "planned_amount_eur": 12.5},
        format="json",
    )
    assert response.status_code == 400
    assert not Action.objects.exists() and TfpbAuditEntry.objects.count() == audit
    response = landlord.post(f"{BASE}/programmes/{programme['id']}/submit-review/", {}, format="json")
    assert response.status_code == 400 and "doit être validé" in str(response.json())


@pytest.mark.django_db
def test_a_second_answer_by_the_same_partner_and_an_answer_by_a_non_referent_are_refused(tfpb, as_user):
    landlord = as_user(tfpb.world.landlord_agent)
    programme = landlord.post(
        f"{BASE}/programmes/",
        {"convention": tfpb.convention.pk, "year": 2025, "qpv": tfpb.world.qpv.code},
        format="json",
    ).json()
    landlord.post(
        f"{BASE}/programmes/{programme['id']}/actions/",
        {"axis": "waste", "title": "Encombrants", "planned_amount_eur": "130000"},
        format="json",
    )
    assert landlord.post(f"{BASE}/programmes/{programme['id']}/submit/").status_code == 200
    commune = as_user(tfpb.world.commune_user)
    [review] = _pending(commune)
    assert commune.post(f"{BASE}/partner-reviews/{review['id']}/approve/").status_code == 200
    again = commune.post(f"{BASE}/partner-reviews/{review['id']}/approve/")
    assert again.status_code == 400 and "a déjà répondu" in str(again.json())
    requester = make_user(tfpb.world.commune, roles=[Role.REQUESTER], username="requester-only")
    state_review = PartnerReview.objects.get(organisation=tfpb.state)
    assert as_user(requester).post(f"{BASE}/partner-reviews/{state_review.pk}/approve/").status_code == 404
    not_referent = make_user(tfpb.state, roles=[Role.AGENT], username="state-agent")
    refused = as_user(not_referent).post(f"{BASE}/partner-reviews/{state_review.pk}/approve/")
    assert refused.status_code == 403 and "Seul le référent GUP" in str(refused.json())
    state_review.refresh_from_db()
    assert state_review.status == PartnerReview.Status.PENDING


@pytest.mark.django_db
def test_an_action_placed_outside_the_programmes_qpv_is_refused(tfpb, as_user):
    from tests.factories import QPV_BOX

    landlord = as_user(tfpb.world.landlord_agent)
    programme = landlord.post(
        f"{BASE}/programmes/",
        {"convention": tfpb.convention.pk, "year": 2025, "qpv": tfpb.world.qpv.code},
        format="json",
    ).json()
    inside = [(QPV_BOX[0] + QPV_BOX[2]) / 2, (QPV_BOX[1] + QPV_BOX[3]) / 2]
    for location, status in [
        ({"type": "Point", "coordinates": [2.5, 48.5]}, 400),
        ({"type": "Polygon"}, 400),
        ({"type": "Point", "coordinates": inside}, 200),
    ]:
        response = landlord.post(
            f"{BASE}/programmes/{programme['id']}/actions/",
            {"axis": "waste", "title": "Encombrants", "planned_amount_eur": "10", "location": location},
            format="json",
        )
        assert response.status_code == status, response.content
    assert Action.objects.get().location == {"type": "Point", "coordinates": inside}
