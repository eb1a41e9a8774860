from io import StringIO

import pytest
from django.core.management import call_command

from diagnostics.demo import load_diagnostics
from diagnostics.models import Diagnostic, Finding, GridVersion, RouteTrack

pytestmark = pytest.mark.django_db


def test_the_demo_has_an_analysed_walk_in_le_val_fourre_with_findings_already_turned_into_requests():
    call_command("load_demo", "--without-requests", stdout=StringIO())
    diagnostic = Diagnostic.objects.get()
    assert diagnostic.status == "under_analysis" and diagnostic.qpv.code == "qpv-val-fourre"
    assert diagnostic.findings.count() == 30
    track = RouteTrack.objects.get(diagnostic=diagnostic)  # the route as walked, from the phone
    assert diagnostic.route == track.line and track.points_count > 50
    assert Finding.objects.filter(outcome="request", request__isnull=False).count() >= 5
    assert Finding.objects.filter(outcome="no_action").exists()
    from steering.models import Action, Recommendation

    source = f"diagnostics.diagnostic:{diagnostic.pk}"
    action, recommendation = Action.objects.get(source=source), Recommendation.objects.get(source=source)
    assert Finding.objects.filter(outcome_reference=f"action:{action.pk}").count() == 2
    assert Finding.objects.filter(outcome_reference=f"recommendation:{recommendation.pk}").count() == 2
    assert GridVersion.objects.get().status == "published"
    assert load_diagnostics() == {"diagnostics": 0, "findings": 0}  # idempotent
    assert Finding.objects.count() == 30
