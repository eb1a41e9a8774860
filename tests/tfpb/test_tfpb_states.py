"""The programme's two lifecycles on django-fsm-2: protected fields, transitions only through the actions,
a stale copy refused, and the migration from the plain columns keeping every state."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django_fsm import TransitionNotAllowed

from directory.models import PartnerReview
from engine.errors import GuardFailed
from tests.tfpb.builders import build_programme
from tfpb.actions import do_submit_programme
from tfpb.models import Programme, Status, TfpbAuditEntry

pytestmark = pytest.mark.django_db


def test_the_states_cannot_be_assigned_directly(tfpb):
    programme = build_programme(tfpb)
    with pytest.raises(AttributeError):
        programme.status = Status.VALIDATED
    with pytest.raises(AttributeError):
        programme.review_status = Status.VALIDATED
    programme.refresh_from_db()  # ConcurrentTransitionMixin lets a refresh through
    assert programme.status == Status.DRAFT


def test_the_yearly_review_cannot_start_before_the_programme_is_validated(tfpb):
    programme = build_programme(tfpb)
    with pytest.raises(TransitionNotAllowed):
        programme.submit_review()
    assert Programme.objects.get(pk=programme.pk).review_status == Status.DRAFT


def test_it_refuses_a_second_submission_from_a_stale_copy(tfpb):
    programme = build_programme(tfpb)
    stale = Programme.objects.get(pk=programme.pk)
    do_submit_programme(programme, acting_user=tfpb.world.landlord_agent)
    reviews = PartnerReview.objects.count()

    with pytest.raises(GuardFailed):
        do_submit_programme(stale, acting_user=tfpb.world.landlord_agent)

    assert PartnerReview.objects.count() == reviews == 3
    assert TfpbAuditEntry.objects.filter(event="programme_submitted").count() == 1
    assert Programme.objects.get(pk=programme.pk).status == Status.IN_REVIEW


def test_a_submission_records_its_time_through_the_transition(tfpb, time_machine):
    time_machine.move_to("2025-03-04 10:00:00+01:00", tick=False)
    programme = build_programme(tfpb)
    do_submit_programme(programme, acting_user=tfpb.world.landlord_agent)
    stored = Programme.objects.get(pk=programme.pk)
    assert stored.submitted_at.isoformat() == "2025-03-04T09:00:00+00:00"


@pytest.mark.django_db(transaction=True)
def test_the_migration_to_fsm_fields_keeps_the_states(tfpb):
    validated = build_programme(tfpb, year=2025)
    in_review = build_programme(tfpb, year=2026)
    Programme.objects.filter(pk=validated.pk).update(status=Status.VALIDATED, review_status=Status.IN_REVIEW)
    Programme.objects.filter(pk=in_review.pk).update(status=Status.IN_REVIEW)
    before, after = ("tfpb", "0002_national_axes"), ("tfpb", "0003_programme_states_fsm")

    executor = MigrationExecutor(connection)
    executor.migrate([before])
    old = executor.loader.project_state([before]).apps.get_model("tfpb", "Programme")
    assert dict(old.objects.values_list("pk", "status")) == {
        validated.pk: Status.VALIDATED,
        in_review.pk: Status.IN_REVIEW,
    }
    old.objects.filter(pk=in_review.pk).update(status=Status.CHANGES_REQUESTED)

    executor = MigrationExecutor(connection)
    executor.migrate([after])
    stored = {p.pk: (p.status, p.review_status) for p in Programme.objects.all()}
    assert stored == {
        validated.pk: (Status.VALIDATED, Status.IN_REVIEW),
        in_review.pk: (Status.CHANGES_REQUESTED, Status.DRAFT),
    }
