"""The TFPB pages through Django's test client: the landlord's pages and forms (errors shown, nothing saved),
the partners' inbox and answer, the review page with its chart and table, the overview and its export."""

import io
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from directory.models import PartnerReview
from tests.factories import PASSWORD
from tfpb.actions import do_add_programme_action, do_create_programme, do_submit_programme
from tfpb.models import Action, Programme, Status


def _client(user):
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _programme(tfpb):
    programme = do_create_programme(tfpb.convention, year=2025, qpv=tfpb.world.qpv, acting_user=None)
    do_add_programme_action(
        programme,
        axis=tfpb.axes["waste"],
        title="Enlèvement des encombrants",
        planned_amount="90 000",
        acting_user=None,
    )
    return programme


@pytest.mark.django_db
def test_the_landlord_sees_its_programme_adds_an_action_and_submits_it(tfpb):
    programme = _programme(tfpb)
    client = _client(tfpb.world.landlord_agent)
    page = client.get(reverse("tfpb-programme", args=[programme.pk]))
    assert page.status_code == 200
    assert (
        "ne couvre pas l’abattement attendu" in page.content.decode()
        or "ne couvre pas" in page.content.decode()
    )
    response = client.post(
        reverse("tfpb-action-add", args=[programme.pk]),
        {"axis": "tranquillity", "title": "Médiation", "planned_amount_eur": "35 000,00"},
    )
    assert response.status_code == 302
    assert programme.planned_total() == Decimal("125000.00")
    response = client.post(reverse("tfpb-submit", args=[programme.pk]))
    assert response.status_code == 302
    programme.refresh_from_db()
    assert programme.status == Status.IN_REVIEW


@pytest.mark.django_db
def test_a_bad_amount_is_shown_on_its_field_and_nothing_is_saved(tfpb):
    programme = _programme(tfpb)
    client = _client(tfpb.world.landlord_agent)
    response = client.post(
        reverse("tfpb-action-add", args=[programme.pk]),
        {"axis": "tranquillity", "title": "Médiation", "planned_amount_eur": "-3,5"},
    )
    assert response.status_code == 400
    assert "Un montant ne peut pas être négatif." in response.content.decode()
    assert Action.objects.count() == 1


@pytest.mark.django_db
def test_a_partner_answers_from_its_inbox_and_another_partner_cannot(tfpb):
    programme = _programme(tfpb)
    do_submit_programme(programme, acting_user=None)
    commune = _client(tfpb.world.commune_user)
    inbox = commune.get(reverse("tfpb-inbox"))
    assert inbox.status_code == 200 and "Enlèvement" not in inbox.content.decode()
    assert tfpb.world.qpv.name in inbox.content.decode()
    review = PartnerReview.objects.get(organisation=tfpb.world.commune)
    response = commune.post(
        reverse("tfpb-answer", args=[review.pk]), {"decision": "request_changes", "comment": ""}
    )
    assert response.status_code == 400
    assert "Précisez ce qui doit être modifié." in response.content.decode()
    response = commune.post(
        reverse("tfpb-answer", args=[review.pk]), {"decision": "approve", "comment": "Bien"}
    )
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.status == PartnerReview.Status.APPROVED
    state_review = PartnerReview.objects.get(organisation=tfpb.state)
    other = _client(tfpb.world.commune_2_user)
    assert (
        other.post(reverse("tfpb-answer", args=[state_review.pk]), {"decision": "approve"}).status_code == 404
    )
    assert other.get(reverse("tfpb-programme", args=[programme.pk])).status_code == 404


@pytest.mark.django_db
def test_the_review_page_shows_the_chart_the_table_and_the_overview_exports_the_year(tfpb):
    programme = _programme(tfpb)
    Programme.objects.filter(pk=programme.pk).update(status=Status.VALIDATED)
    Action.objects.filter(programme=programme).update(realised_amount_eur=Decimal("80000.00"))
    client = _client(tfpb.cu_referent)
    page = client.get(reverse("tfpb-review", args=[programme.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert reverse("tfpb-chart", args=[programme.pk]) in html and "<caption>" in html
    assert "80000,00" in html or "80000.00" in html
    chart = client.get(reverse("tfpb-chart", args=[programme.pk]))
    assert chart.status_code == 200 and chart["Content-Type"] == "image/svg+xml"
    assert b"<svg" in chart.content
    overview = client.get(reverse("tfpb-overview"), {"year": 2025})
    assert overview.status_code == 200 and "Bailleur" in overview.content.decode()
    export = client.get(reverse("tfpb-overview-xlsx"), {"year": 2025})
    sheet = load_workbook(io.BytesIO(export.content)).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows[:-1]] == ["Bailleur"]
    assert Decimal(str(rows[0][3])) == Decimal("90000") and Decimal(str(rows[0][4])) == Decimal("80000")
    pdf = client.get(reverse("tfpb-programme-pdf", args=[programme.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


@pytest.mark.django_db
def test_the_home_page_lists_the_landlords_conventions_with_a_programme_form(tfpb):
    client = _client(tfpb.world.landlord_agent)
    page = client.get(reverse("tfpb-home"))
    assert page.status_code == 200
    assert tfpb.convention.reference in page.content.decode()
    response = client.post(
        reverse("tfpb-programme-create", args=[tfpb.convention.pk]),
        {"year": "2031", "qpv": tfpb.world.qpv.code},
    )
    assert response.status_code == 400 and not Programme.objects.exists()
    assert "La convention couvre les années 2024 à 2030." in response.content.decode()
    response = client.post(
        reverse("tfpb-programme-create", args=[tfpb.convention.pk]),
        {"year": "2026", "qpv": tfpb.world.qpv.code},
    )
    assert response.status_code == 302
    assert Programme.objects.get().expected_abatement_eur == Decimal("120000.00")


@pytest.mark.django_db
def test_the_admin_lists_the_tfpb_rows_and_saves_an_axis_through_the_action(tfpb):
    from tfpb.models import Axis, TfpbAuditEntry

    programme = _programme(tfpb)
    do_submit_programme(programme, acting_user=None)
    client = _client(tfpb.world.admin_user)
    for name in [
        "tfpb_axis",
        "tfpb_convention",
        "tfpb_programme",
        "tfpb_tfpbauditentry",
        "directory_partnerreview",
    ]:
        assert client.get(reverse(f"admin:{name}_changelist")).status_code == 200, name
    assert client.get(reverse("admin:tfpb_programme_change", args=[programme.pk])).status_code == 200
    axis = tfpb.axes["other"]
    response = client.post(
        reverse("admin:tfpb_axis_change", args=[axis.pk]),
        {"code": "other", "name": "Autres actions innovantes", "position": "9", "is_active": "on"},
    )
    assert response.status_code == 302
    assert Axis.objects.get(pk=axis.pk).name == "Autres actions innovantes"
    assert TfpbAuditEntry.objects.filter(event="axis_changed", actor=tfpb.world.admin_user).exists()
