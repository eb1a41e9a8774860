import pytest

from diagnostics.actions import (
    do_convert_findings_to_follow_up,
    do_convert_findings_to_requests,
    do_mark_findings_no_action,
    do_move_diagnostic,
    do_record_finding,
)
from diagnostics.models import DiagnosticAuditEntry, Finding, FindingPhoto
from engine.errors import InvalidFields, RoleNotAllowed
from engine.models import Attachment, OutboxEvent
from procedures.models import InterventionRequest
from tests.diagnostics.conftest import item, new_client_id, photo
from tests.factories import POINT_IN_COMMUNE_1, POINT_IN_QPV, POINT_OUTSIDE

pytestmark = pytest.mark.django_db


def record(world, diagnostic, grid, user=None, client_id=None, point=POINT_IN_QPV, **extra):
    values = {"item": item(grid), "rating": 1, "comment": "Matelas devant le hall", "photos": [photo()]}
    values.update(extra)
    return do_record_finding(
        diagnostic,
        acting_user=user or world.commune_user,
        client_id=client_id or new_client_id(),
        lon=point[0],
        lat=point[1],
        **values,
    )


def test_it_records_a_finding_with_its_photo_audit_and_event(world, diagnostic, grid):
    finding, created = record(world, diagnostic, grid)
    assert created and finding.rating == 1 and finding.item.code == "encombrants"
    stored = FindingPhoto.objects.get(finding=finding)
    assert stored.content_type == "image/png" and stored.size_bytes > 0
    assert (
        DiagnosticAuditEntry.objects.filter(
            event="finding_recorded", data__client_id=finding.client_id
        ).count()
        == 1
    )
    assert (
        OutboxEvent.objects.filter(kind="diagnostics.finding_recorded", payload__finding=finding.pk).count()
        == 1
    )


def test_the_same_finding_posted_three_times_is_kept_once(world, diagnostic, grid):
    client_id = new_client_id()
    results = [record(world, diagnostic, grid, client_id=client_id) for _ in range(3)]
    assert [created for _finding, created in results] == [True, False, False]
    assert len({finding.pk for finding, _created in results}) == 1
    assert Finding.objects.filter(client_id=client_id).count() == 1
    assert FindingPhoto.objects.count() == 1
    assert DiagnosticAuditEntry.objects.filter(event="finding_recorded").count() == 1
    assert OutboxEvent.objects.filter(kind="diagnostics.finding_recorded").count() == 1


def test_several_participants_record_on_the_same_diagnostic(world, diagnostic, grid):
    record(world, diagnostic, grid, user=world.commune_user)
    record(world, diagnostic, grid, user=world.landlord_agent, point=POINT_IN_COMMUNE_1)
    assert set(Finding.objects.values_list("recorded_by__username", flat=True)) == {"commune", "landlord"}


def test_it_refuses_bad_findings_naming_the_field_and_keeps_nothing(world, diagnostic, grid):
    cases = [
        ({"point": POINT_OUTSIDE}, "location"),
        ({"rating": 7}, "rating"),
        ({"rating": "abc"}, "rating"),
        ({"photos": [photo("photo.png", b"%PDF-1.4 not an image at all")]}, "photos"),
        ({"photos": [photo("photo.png", b"GIF89a but truncated")]}, "photos"),
        ({"item": "eclairage/nope"}, "item"),
        ({"client_id": "x"}, "client_id"),
        ({"observed_at": "2026-11-20T10:00:00"}, "observed_at"),
        ({"observed_at": "2026-13-45T10:00:00+01:00"}, "observed_at"),
    ]
    for extra, field in cases:
        with pytest.raises(InvalidFields) as error:
            record(world, diagnostic, grid, **extra)
        assert field in error.value.errors, (extra, error.value.errors)
    assert not Finding.objects.exists()
    assert not FindingPhoto.objects.exists()
    assert not DiagnosticAuditEntry.objects.filter(event="finding_recorded").exists()
    assert not OutboxEvent.objects.filter(kind="diagnostics.finding_recorded").exists()


def test_it_refuses_findings_from_outsiders_and_outside_the_walk(world, diagnostic, grid):
    with pytest.raises(RoleNotAllowed):
        record(world, diagnostic, grid, user=world.commune_2_user)
    do_move_diagnostic(diagnostic, "start_analysis", acting_user=world.commune_user)
    record(world, diagnostic, grid)  # a phone that comes back online during the analysis is still heard
    do_move_diagnostic(diagnostic, "close", acting_user=world.commune_user)
    with pytest.raises(InvalidFields) as error:
        record(world, diagnostic, grid)
    assert "diagnostic" in error.value.errors


def _analysed(world, diagnostic, grid, n=2):
    findings = [record(world, diagnostic, grid, point=(1.706 + 0.003 * i, 48.986))[0] for i in range(n)]
    do_move_diagnostic(diagnostic, "start_analysis", acting_user=world.commune_user)
    return findings


def test_it_converts_findings_into_requests_with_their_photo_once(world, diagnostic, grid, procedure):
    findings = _analysed(world, diagnostic, grid)
    results = do_convert_findings_to_requests(diagnostic, findings, acting_user=world.commune_user)
    assert [outcome for _f, outcome in results] == ["request", "request"]
    requests = list(InterventionRequest.objects.order_by("pk"))
    assert len(requests) == 2
    assert all(r.requester_organisation == world.commune and r.category.code == "bulky" for r in requests)
    assert "Diagnostic du QPV Un" in requests[0].description
    assert Attachment.objects.filter(case=requests[0].case, content_type="image/png").count() == 1
    for finding in findings:
        finding.refresh_from_db()
        assert (
            finding.outcome == "request" and finding.request_id and finding.converted_by == world.commune_user
        )
    again = do_convert_findings_to_requests(diagnostic, findings, acting_user=world.commune_user)
    assert [outcome for _f, outcome in again] == ["already", "already"]
    assert InterventionRequest.objects.count() == 2
    assert DiagnosticAuditEntry.objects.filter(event="finding_converted").count() == 2


def test_it_links_a_finding_to_an_open_request_nearby_instead_of_filing_a_duplicate(
    world, diagnostic, grid, procedure
):
    first, second = (record(world, diagnostic, grid, point=(1.7100, 48.9900 + d))[0] for d in (0, 0.0001))
    do_move_diagnostic(diagnostic, "start_analysis", acting_user=world.commune_user)
    do_convert_findings_to_requests(diagnostic, [first], acting_user=world.commune_user)
    results = do_convert_findings_to_requests(diagnostic, [second], acting_user=world.commune_user)
    assert [outcome for _f, outcome in results] == ["linked"]
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.request_id == first.request_id
    assert InterventionRequest.objects.count() == 1


def test_it_refuses_a_batch_with_an_unmapped_item_and_files_nothing(world, diagnostic, grid, procedure):
    mapped = record(world, diagnostic, grid)[0]
    unmapped = record(world, diagnostic, grid, item=item(grid, "proprete/corbeilles"))[0]
    do_move_diagnostic(diagnostic, "start_analysis", acting_user=world.commune_user)
    with pytest.raises(InvalidFields) as error:
        do_convert_findings_to_requests(diagnostic, [mapped, unmapped], acting_user=world.commune_user)
    assert "findings" in error.value.errors and "Corbeilles" in error.value.errors["findings"]
    assert not InterventionRequest.objects.exists()
    assert not Finding.objects.exclude(outcome="").exists()


def test_only_the_commune_files_requests_and_only_under_analysis(world, diagnostic, grid, procedure):
    finding = record(world, diagnostic, grid)[0]
    with pytest.raises(InvalidFields):
        do_convert_findings_to_requests(diagnostic, [finding], acting_user=world.commune_user)
    do_move_diagnostic(diagnostic, "start_analysis", acting_user=world.commune_user)
    with pytest.raises(RoleNotAllowed):
        do_convert_findings_to_requests(diagnostic, [finding], acting_user=world.landlord_agent)
    assert not InterventionRequest.objects.exists()


def test_it_marks_findings_as_no_action_with_a_reason_once(world, diagnostic, grid):
    findings = _analysed(world, diagnostic, grid)
    with pytest.raises(InvalidFields) as error:
        do_mark_findings_no_action(diagnostic, findings, "  ", acting_user=world.commune_user)
    assert "reason" in error.value.errors
    results = do_mark_findings_no_action(diagnostic, findings, "Déjà traité", acting_user=world.commune_user)
    assert [outcome for _f, outcome in results] == ["no_action", "no_action"]
    assert set(Finding.objects.values_list("outcome", "outcome_reason")) == {("no_action", "Déjà traité")}
    results = do_convert_findings_to_requests(diagnostic, findings, acting_user=world.commune_user)
    assert [outcome for _f, outcome in results] == ["already", "already"]


def test_follow_up_conversion_waits_for_its_extension_point(world, diagnostic, grid, monkeypatch):
    from diagnostics.actions import conversion

    findings = _analysed(world, diagnostic, grid, n=2)
    monkeypatch.delitem(conversion.FOLLOW_UP_CONVERTERS, "recommendation", raising=False)
    with pytest.raises(InvalidFields) as error:
        do_convert_findings_to_follow_up(
            diagnostic, findings, "recommendation", acting_user=world.commune_user
        )
    assert "kind" in error.value.errors
    calls = []

    def convert(diagnostic, findings, **kw):
        calls.append([f.pk for f in findings])
        return "REC-1"

    monkeypatch.setitem(conversion.FOLLOW_UP_CONVERTERS, "recommendation", convert)
    monkeypatch.setitem(conversion.FOLLOW_UP_PERMISSIONS, "recommendation", None)
    do_convert_findings_to_follow_up(diagnostic, findings, "recommendation", acting_user=world.commune_user)
    assert calls == [[f.pk for f in findings]]  # one call for the whole set
    assert set(Finding.objects.values_list("outcome", "outcome_reference")) == {("recommendation", "REC-1")}
