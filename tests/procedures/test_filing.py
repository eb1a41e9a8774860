import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from directory.models import Competence
from engine.errors import InvalidFields, RoleNotAllowed
from engine.models import Alert, Attachment, AuditEntry, Case, OutboxEvent
from procedures.models import InterventionRequest, RequestCounter
from tests.factories import POINT_IN_COMMUNE_2, POINT_IN_QPV, POINT_OUTSIDE
from tests.procedures.helpers import PDF_MINIMAL, PNG_1PX
from tests.procedures.helpers_actions import audit_events, file, outbox_kinds


def nothing_saved():
    return (
        InterventionRequest.objects.count(),
        Case.objects.count(),
        AuditEntry.objects.count(),
        OutboxEvent.objects.count(),
        Attachment.objects.count(),
        RequestCounter.objects.count(),
    ) == (0, 0, 0, 0, 0, 0)


def test_it_files_a_normal_request_with_its_attributes_and_photos(requests_world, bulky):
    world = requests_world
    request = file(
        world, bulky, address="12 rue des Lilas", attributes={"volume": "2"},
        files=[SimpleUploadedFile("photo.png", PNG_1PX), SimpleUploadedFile("devis.pdf", PDF_MINIMAL)],
    )  # fmt: skip
    assert (request.urgency, request.urgency_justified, request.attributes) == ("normal", None, {"volume": 2})
    assert request.requester == world.commune_user and request.requester_organisation == world.commune
    assert sorted(
        Attachment.objects.filter(case=request.case).values_list("content_type", "description")
    ) == [
        ("application/pdf", ""),
        ("image/png", ""),
    ]
    assert audit_events(request) == [
        ("opened", "submitted", "commune"),
        ("attached", "", "commune"),
        ("attached", "", "commune"),
    ]
    assert outbox_kinds(request) == ["case.opened", "case.attached", "case.attached", "request.message"]
    assert not Alert.objects.exists()


def test_an_urgent_request_with_a_matching_criterion_is_justified_and_raises_no_alert(requests_world, bulky):
    request = file(requests_world, bulky, urgency="urgent", urgency_criteria=["access-blocked"])
    assert (request.urgency_justified, [c.code for c in request.urgency_criteria.all()]) == (
        True,
        ["access-blocked"],
    )
    assert not Alert.objects.exists()


def test_it_refuses_a_jpg_that_is_really_text_and_saves_nothing(requests_world, bulky):
    fake = SimpleUploadedFile("photo.jpg", b"just some text, not a photo", content_type="image/jpeg")
    with pytest.raises(InvalidFields) as raised:
        file(requests_world, bulky, files=[fake])
    assert "photo.jpg" in raised.value.errors["files"]
    assert nothing_saved()


def test_it_names_every_faulty_field_and_saves_nothing(requests_world, bulky):
    with pytest.raises(InvalidFields) as raised:
        file(
            requests_world, bulky, description="  ", urgency="normal", urgency_criteria=["access-blocked"],
            attributes={"volume": 500, "colour": "red"},
        )  # fmt: skip
    assert set(raised.value.errors) == {
        "description", "urgency_criteria", "attributes.volume", "attributes.colour",
    }  # fmt: skip
    assert nothing_saved()


def test_it_refuses_a_point_outside_the_territory_or_in_another_commune(requests_world, bulky):
    with pytest.raises(InvalidFields) as raised:
        file(requests_world, bulky, point=POINT_OUTSIDE)
    assert "hors du territoire" in raised.value.errors["location"]
    with pytest.raises(InvalidFields) as raised:
        file(requests_world, bulky, point=POINT_IN_COMMUNE_2)
    assert "Commune Deux" in raised.value.errors["location"]
    assert nothing_saved()


def test_an_unknown_category_or_criterion_is_refused(requests_world, bulky):
    with pytest.raises(InvalidFields) as raised:
        file(requests_world, "no-such-category")
    assert set(raised.value.errors) == {"category"}
    with pytest.raises(InvalidFields) as raised:
        file(requests_world, bulky, urgency="urgent", urgency_criteria=["near-school"])
    assert "near-school" in raised.value.errors["urgency_criteria"]
    assert nothing_saved()


def test_only_a_requester_of_an_organisation_can_file(requests_world, bulky):
    with pytest.raises(RoleNotAllowed):
        file(requests_world, bulky, user=requests_world.dvq_officer)
    assert nothing_saved()


def test_a_waste_category_with_direct_handling_goes_to_the_waste_direction(requests_world, bulky):
    world = requests_world
    Competence.objects.create(unit=world.waste, category=bulky, direct_handling=True)
    request = file(world, bulky)
    assert (request.handler_unit, request.dispatcher_unit, request.to_qualify) == (
        world.waste,
        None,  # the waste direction acts directly: no CTC dispatches it (test_direct_handling.py)
        False,
    )
    # Its agents act on it with the same procedure.
    from procedures.actions import do_transition_request

    do_transition_request(request, "acknowledge", acting_user=world.waste_agent)
    assert request.case.__class__.objects.get(pk=request.case_id).state == "acknowledged"


def test_a_request_in_a_qpv_is_flagged_and_gets_the_qpv_service_level(requests_world, bulky):
    from engine.models import Deadline
    from procedures.models import ServiceLevel

    ServiceLevel.objects.create(name="QPV", zone_type="qpv", acknowledge_hours=1, resolve_hours=7)
    ServiceLevel.objects.create(name="Ailleurs", acknowledge_hours=7, resolve_hours=35)
    request = file(requests_world, bulky, point=POINT_IN_QPV)
    assert request.in_qpv
    durations = dict(Deadline.objects.filter(case=request.case).values_list("kind", "duration_seconds"))
    assert durations == {"acknowledge": 3600, "resolve": 7 * 3600}
