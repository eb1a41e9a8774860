"""Filing a new request for a finding although an open request is nearby ("file anyway"): the user's
choice, with a reason, through the action (audited), the analysis page and the API."""

import pytest
from rest_framework.test import APIClient

from api.models import ApiToken
from diagnostics.actions import do_convert_findings_to_requests, do_move_diagnostic
from diagnostics.models import DiagnosticAuditEntry, Finding
from engine.errors import InvalidFields
from engine.models import OutboxEvent
from procedures.models import InterventionRequest
from tests.diagnostics.test_findings_and_conversion import record
from tests.diagnostics.test_web import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def beside(world, diagnostic, grid, procedure):
    """Three findings a few metres apart, the first already filed: the other two have an open request
    nearby."""
    findings = [record(world, diagnostic, grid, point=(1.7100, 48.9900 + d))[0] for d in (0, 0.0001, 0.0002)]
    do_move_diagnostic(diagnostic, "start_analysis", acting_user=world.commune_user)
    do_convert_findings_to_requests(diagnostic, findings[:1], acting_user=world.commune_user)
    findings[0].refresh_from_db()
    return findings


def test_it_files_a_new_request_anyway_with_its_reason_and_links_the_others(world, diagnostic, beside):
    first, second, third = beside
    results = do_convert_findings_to_requests(
        diagnostic,
        [second, third],
        acting_user=world.commune_user,
        file_anyway=[second.pk],
        reason="  Un autre dépôt, de l'autre côté de la rue  ",
    )
    assert [outcome for _f, outcome in results] == ["request", "linked"]
    second.refresh_from_db()
    third.refresh_from_db()
    assert second.outcome == "request" and second.request_id not in (None, first.request_id)
    assert second.outcome_reason == "Un autre dépôt, de l'autre côté de la rue"
    # linked to the nearest open request: the one just filed for the second finding
    assert third.outcome == "linked" and third.request_id == second.request_id and third.outcome_reason == ""
    assert InterventionRequest.objects.count() == 2
    converted = DiagnosticAuditEntry.objects.filter(event="finding_converted")
    entry = converted.get(target__endswith=f"finding:{second.pk}")
    assert entry.actor == world.commune_user
    assert entry.data["outcome"] == "request" and entry.data["request"] == second.request.reference
    assert entry.data["filed_beside"] == [first.request.reference]
    assert entry.data["reason"] == "Un autre dépôt, de l'autre côté de la rue"
    linked = converted.get(target__endswith=f"finding:{third.pk}")
    assert "filed_beside" not in linked.data
    assert OutboxEvent.objects.filter(kind="diagnostics.finding_converted").count() == 3


def test_filing_anyway_without_a_reason_or_outside_the_batch_is_refused_and_changes_nothing(
    world, diagnostic, beside
):
    _first, second, third = beside
    before = (InterventionRequest.objects.count(), DiagnosticAuditEntry.objects.count())
    events = OutboxEvent.objects.count()
    for extra, field in [
        ({"file_anyway": [second.pk], "reason": "   "}, "reason"),
        ({"file_anyway": [second.pk], "reason": "x" * 501}, "reason"),
        ({"file_anyway": [third.pk], "reason": "Autre chose"}, "file_anyway"),
        ({"file_anyway": ["abc"], "reason": "Autre chose"}, "file_anyway"),
    ]:
        with pytest.raises(InvalidFields) as error:
            do_convert_findings_to_requests(diagnostic, [second], acting_user=world.commune_user, **extra)
        assert field in error.value.errors, (extra, error.value.errors)
    assert (InterventionRequest.objects.count(), DiagnosticAuditEntry.objects.count()) == before
    assert OutboxEvent.objects.count() == events
    assert set(Finding.objects.filter(pk__in=[second.pk, third.pk]).values_list("outcome", flat=True)) == {""}


def test_a_finding_filed_anyway_is_not_filed_twice(world, diagnostic, beside):
    _first, second, _third = beside
    options = {"file_anyway": [second.pk], "reason": "Autre dépôt"}
    do_convert_findings_to_requests(diagnostic, [second], acting_user=world.commune_user, **options)
    again = do_convert_findings_to_requests(diagnostic, [second], acting_user=world.commune_user, **options)
    assert [outcome for _f, outcome in again] == ["already"]
    assert InterventionRequest.objects.count() == 2


def test_the_analysis_page_offers_filing_anyway_beside_the_open_request(world, diagnostic, beside):
    first, second, third = beside
    client = client_for(world.commune_user)
    page = client.get(f"/diagnostics/{diagnostic.pk}/analysis/").content.decode()
    assert f'name="file_anyway" value="{second.pk}"' in page
    assert f'name="file_anyway" value="{first.pk}"' not in page  # converted: nothing to choose
    refused = client.post(
        f"/diagnostics/{diagnostic.pk}/convert/",
        {"findings": [second.pk], "outcome": "request", "file_anyway": [second.pk]},
        follow=True,
    )
    assert "Dites pourquoi une nouvelle demande" in refused.content.decode()
    assert InterventionRequest.objects.count() == 1
    answer = client.post(
        f"/diagnostics/{diagnostic.pk}/convert/",
        {
            "findings": [second.pk, third.pk],
            "outcome": "request",
            "file_anyway": [second.pk],
            "file_anyway_reason": "Deux dépôts distincts",
        },
    )
    assert answer.status_code == 302
    second.refresh_from_db()
    third.refresh_from_db()
    assert (second.outcome, second.outcome_reason) == ("request", "Deux dépôts distincts")
    assert third.outcome == "linked"
    assert InterventionRequest.objects.count() == 2
    page = client.get(f"/diagnostics/{diagnostic.pk}/analysis/").content.decode()
    assert "Deux dépôts distincts" in page and second.request.reference in page


def test_the_api_files_anyway_with_a_reason(world, diagnostic, beside):
    _first, second, third = beside
    client = APIClient()
    _token, key = ApiToken.objects.create_for(world.commune_user, "test")
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    url = f"/api/v1/diagnostics/{diagnostic.pk}/convert/"
    refused = client.post(
        url, {"findings": [second.pk], "outcome": "request", "file_anyway": [second.pk]}, format="json"
    )
    assert refused.status_code == 400 and "reason" in refused.json()["errors"]
    answer = client.post(
        url,
        {
            "findings": [second.pk, third.pk],
            "outcome": "request",
            "file_anyway": [second.pk],
            "reason": "Deux dépôts distincts",
        },
        format="json",
    )
    assert answer.status_code == 200
    assert [row["outcome"] for row in answer.json()] == ["request", "linked"]
    assert InterventionRequest.objects.count() == 2
