"""The TFPB year through the action layer: convention, programme, parallel review with a request for changes,
validation, realisation, yearly review; and the bad inputs of the issue."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from directory.approvals.actions import do_approve_partner_review, do_request_changes_partner_review
from directory.models import Layer, PartnerReview
from engine.errors import GuardFailed, InvalidFields, RoleNotAllowed
from engine.models import OutboxEvent
from tests.factories import make_perimeter
from tfpb.actions import (
    coverage,
    do_add_programme_action,
    do_add_review_document,
    do_create_programme,
    do_record_realisation,
    do_submit_programme,
    do_submit_year_review,
    parse_amount,
)
from tfpb.models import Action, Programme, ReviewDocument, Status, TfpbAuditEntry

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _programme(tfpb):
    programme = do_create_programme(
        tfpb.convention, year=2025, qpv=tfpb.world.qpv, acting_user=tfpb.world.landlord_agent
    )
    do_add_programme_action(
        programme,
        axis=tfpb.axes["reinforced_upkeep"],
        title="Nettoyage renforcé des halls",
        planned_amount="80 000,00",
        places="Résidence des Peupliers",
        indicators=[{"name": "Passages par semaine", "unit": "passages", "target": "5"}],
        acting_user=tfpb.world.landlord_agent,
    )
    do_add_programme_action(
        programme,
        axis=tfpb.axes["tranquillity"],
        title="Médiation de soirée",
        planned_amount="45000.5",
        acting_user=tfpb.world.landlord_agent,
    )
    return programme


def _answer_all(tfpb, programme, *, changes_by=None):
    for organisation, referent in tfpb.partners:
        review = PartnerReview.objects.get(
            subject_id=programme.pk, organisation=organisation, status=PartnerReview.Status.PENDING
        )
        if organisation == changes_by:
            do_request_changes_partner_review(review, acting_user=referent, comment="Détailler la médiation")
        else:
            do_approve_partner_review(review, acting_user=referent)


@pytest.mark.django_db
def test_the_whole_year_goes_through_review_validation_realisation_and_yearly_review(tfpb):
    landlord = tfpb.world.landlord_agent
    programme = _programme(tfpb)
    assert programme.expected_abatement_eur == Decimal("120000.00")
    planned, expected, covered = coverage(programme)
    assert (planned, expected, covered) == (Decimal("125000.50"), Decimal("120000.00"), True)

    do_submit_programme(programme, acting_user=landlord)
    assert Programme.objects.get(pk=programme.pk).status == Status.IN_REVIEW
    assert PartnerReview.objects.filter(subject_id=programme.pk).count() == 3
    _answer_all(tfpb, programme, changes_by=tfpb.state)
    programme.refresh_from_db()
    assert programme.status == Status.CHANGES_REQUESTED
    assert TfpbAuditEntry.objects.filter(event="programme_changes_requested").count() == 1

    # the landlord changes the programme and submits it again: a second round, all approve
    do_add_programme_action(
        programme,
        axis=tfpb.axes["social_life"],
        title="Fête des voisins",
        planned_amount="2 500",
        acting_user=landlord,
    )
    do_submit_programme(programme, acting_user=landlord)
    _answer_all(tfpb, programme)
    programme.refresh_from_db()
    assert programme.status == Status.VALIDATED and programme.validated_at is not None
    assert OutboxEvent.objects.filter(kind="tfpb.programme_validated").count() == 1

    for action in programme.actions.all():
        reached = {str(i.pk): "4" for i in action.indicators.all()}
        do_record_realisation(
            action,
            realised_amount=str(action.planned_amount_eur - 1000).replace(".", ","),
            comment="Réalisé",
            indicators_reached=reached,
            acting_user=landlord,
        )
    document = do_add_review_document(
        programme, SimpleUploadedFile("bilan.pdf", PDF, content_type="application/pdf"), acting_user=landlord
    )
    assert document.content_type == "application/pdf"
    do_submit_year_review(programme, comment="Année satisfaisante", acting_user=landlord)
    _answer_all(tfpb, programme)
    programme.refresh_from_db()
    assert programme.review_status == Status.VALIDATED
    assert programme.realised_total() == Decimal("124500.50")
    events = [
        "programme_created",
        "action_added",
        "programme_submitted",
        "programme_changes_requested",
        "programme_validated",
        "realisation_recorded",
        "review_document_added",
        "year_review_submitted",
        "year_review_validated",
    ]
    recorded = set(TfpbAuditEntry.objects.values_list("event", flat=True))
    assert set(events) <= recorded
    assert OutboxEvent.objects.filter(kind="tfpb.year_review_validated").count() == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12 500,50", "12500.50"), ("12500.5", "12500.50"), ("0", "0.00"), ("1\u202f000", "1000.00")],
)
def test_it_reads_french_amounts_as_decimals(text, expected):
    assert parse_amount(text, "amount") == Decimal(expected)


@pytest.mark.parametrize("text", ["-5", "douze", "1,2,3", "1.234,5", "12,345", 12.5, ""])
def test_it_refuses_bad_amounts_naming_the_field(text):
    with pytest.raises(InvalidFields) as refused:
        parse_amount(text, "planned_amount_eur")
    assert list(refused.value.errors) == ["planned_amount_eur"]


@pytest.mark.django_db
def test_it_refuses_a_negative_amount_and_saves_nothing(tfpb):
    programme = do_create_programme(
        tfpb.convention, year=2025, qpv=tfpb.world.qpv, acting_user=tfpb.world.landlord_agent
    )
    audit = TfpbAuditEntry.objects.count()
    with pytest.raises(InvalidFields) as refused:
        do_add_programme_action(
            programme,
            axis=tfpb.axes["waste"],
            title="Encombrants",
            planned_amount="-100",
            acting_user=tfpb.world.landlord_agent,
        )
    assert "négatif" in refused.value.errors["planned_amount_eur"]
    assert not Action.objects.exists() and TfpbAuditEntry.objects.count() == audit


@pytest.mark.django_db
def test_it_refuses_a_programme_on_a_qpv_outside_the_convention(tfpb):
    from shapely.geometry import box

    other = make_perimeter(Layer.QPV, box(1.8, 48.9, 1.81, 48.91), code="qpv-2", name="QPV Deux")
    with pytest.raises(InvalidFields) as refused:
        do_create_programme(tfpb.convention, year=2025, qpv=other, acting_user=tfpb.world.landlord_agent)
    assert "n'est pas couvert par la convention" in refused.value.errors["qpv"]
    assert not Programme.objects.exists()


@pytest.mark.django_db
def test_it_refuses_a_yearly_review_before_the_programme_is_validated(tfpb):
    programme = _programme(tfpb)
    action = programme.actions.first()
    with pytest.raises(GuardFailed) as refused:
        do_record_realisation(action, realised_amount="10", acting_user=tfpb.world.landlord_agent)
    assert "doit être validé" in str(refused.value)
    with pytest.raises(GuardFailed):
        do_submit_year_review(programme, acting_user=tfpb.world.landlord_agent)
    action.refresh_from_db()
    assert action.realised_amount_eur is None
    assert not TfpbAuditEntry.objects.filter(
        event__in=["realisation_recorded", "year_review_submitted"]
    ).exists()


@pytest.mark.django_db
def test_it_refuses_a_second_approval_by_the_same_partner(tfpb):
    programme = _programme(tfpb)
    do_submit_programme(programme, acting_user=tfpb.world.landlord_agent)
    review = PartnerReview.objects.get(subject_id=programme.pk, organisation=tfpb.world.commune)
    do_approve_partner_review(review, acting_user=tfpb.world.commune_user)
    with pytest.raises(GuardFailed) as refused:
        do_approve_partner_review(review, acting_user=tfpb.world.commune_user)
    assert "a déjà répondu" in str(refused.value)


@pytest.mark.django_db
def test_only_the_landlord_prepares_and_submits_its_programme(tfpb):
    programme = _programme(tfpb)
    for intruder in (tfpb.world.commune_user, tfpb.state_referent):
        with pytest.raises(RoleNotAllowed):
            do_submit_programme(programme, acting_user=intruder)
    programme.refresh_from_db()
    assert programme.status == Status.DRAFT and not PartnerReview.objects.exists()


@pytest.mark.django_db
def test_a_document_is_checked_by_its_content(tfpb):
    programme = _programme(tfpb)
    Programme.objects.filter(pk=programme.pk).update(status=Status.VALIDATED)
    programme.refresh_from_db()
    fake = SimpleUploadedFile("bilan.pdf", b"not a pdf at all", content_type="application/pdf")
    with pytest.raises(InvalidFields) as refused:
        do_add_review_document(programme, fake, acting_user=tfpb.world.landlord_agent)
    assert "file" in refused.value.errors
    assert not ReviewDocument.objects.exists()
