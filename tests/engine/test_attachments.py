"""The engine's attachment check (settings.ENGINE_ATTACHMENT_CHECK) and how a stored file is served."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from engine.actions import check_attachment, do_attach, may_attach
from engine.attachments import CheckedFile, attachment_response
from engine.errors import InvalidFields, RoleNotAllowed
from engine.models import Attachment, AuditEntry, OutboxEvent


def refuse_everything(file):
    raise ValidationError(f"{file.name} is refused by the domain.")


def call_it_a_gif(file):
    return CheckedFile(name="renamed.gif", content_type="image/gif", size=file.size)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def counts(case):
    return (
        Attachment.objects.filter(case=case).count(),
        AuditEntry.objects.filter(case=case, event="attached").count(),
        OutboxEvent.objects.filter(case_id=case.pk, kind="case.attached").count(),
    )


def test_without_a_configured_check_it_takes_any_file_up_to_its_own_limit(world, case, settings, media):
    settings.ENGINE_ATTACHMENT_CHECK = None
    settings.ENGINE_ATTACHMENT_MAX_BYTES = 4
    with pytest.raises(InvalidFields) as raised:
        do_attach(case, acting_user=world.ctc_agent, file=SimpleUploadedFile("notes.txt", b"12345"))
    assert raised.value.errors == {"file": "notes.txt est trop volumineux (5 octets ; 4 octets au maximum)."}
    assert counts(case) == (0, 0, 0)
    attachment = do_attach(case, acting_user=world.ctc_agent, file=SimpleUploadedFile("notes.txt", b"1234"))
    assert (attachment.content_type, attachment.size_bytes) == ("application/octet-stream", 4)
    assert counts(case) == (1, 1, 1)


def test_the_configured_check_refuses_a_file_and_nothing_is_written(world, case, settings, media):
    settings.ENGINE_ATTACHMENT_CHECK = "tests.engine.test_attachments.refuse_everything"
    with pytest.raises(InvalidFields) as raised:
        do_attach(case, acting_user=world.ctc_agent, file=SimpleUploadedFile("a.png", b"data"))
    assert raised.value.errors == {"file": "a.png is refused by the domain."}
    assert counts(case) == (0, 0, 0)


def test_the_configured_check_names_and_types_the_stored_file(world, case, settings, media):
    settings.ENGINE_ATTACHMENT_CHECK = "tests.engine.test_attachments.call_it_a_gif"
    attachment = do_attach(
        case, acting_user=world.ctc_agent, file=SimpleUploadedFile("x.bin", b"GIF89a"), description=" vue "
    )
    assert (attachment.name, attachment.content_type, attachment.description) == (
        "renamed.gif",
        "image/gif",
        "vue",
    )
    assert check_attachment(SimpleUploadedFile("y", b"z")).content_type == "image/gif"


def test_it_refuses_someone_without_a_role_before_looking_at_the_file(world, case, settings, media):
    settings.ENGINE_ATTACHMENT_CHECK = "tests.engine.test_attachments.refuse_everything"
    assert may_attach(case, world.ctc_agent) and may_attach(case, None)
    assert not may_attach(case, world.commune_2_user)
    with pytest.raises(RoleNotAllowed):
        do_attach(case, acting_user=world.commune_2_user, file=SimpleUploadedFile("a.png", b"data"))
    with pytest.raises(InvalidFields) as raised:
        do_attach(case, acting_user=world.ctc_agent, file=None)
    assert list(raised.value.errors) == ["file"]


def test_a_download_sends_the_recorded_type_inline_only_for_raster_images(world, case, settings, media):
    settings.ENGINE_ATTACHMENT_CHECK = "tests.engine.test_attachments.call_it_a_gif"
    image = do_attach(case, acting_user=world.ctc_agent, file=SimpleUploadedFile("x", b"GIF89a"))
    response = attachment_response(image)
    assert (response["Content-Type"], response["X-Content-Type-Options"]) == ("image/gif", "nosniff")
    assert response["Content-Disposition"].startswith("inline;")
    assert "sandbox" in response["Content-Security-Policy"]
    Attachment.objects.filter(pk=image.pk).update(content_type="text/html")  # whatever was recorded
    image.refresh_from_db()
    response = attachment_response(image)
    assert response["Content-Type"] == "text/html" and response["Content-Disposition"].startswith(
        "attachment;"
    )


def test_the_migration_moves_recorded_types_out_of_descriptions(world, case, settings, media):
    from importlib import import_module

    from django.apps import apps

    settings.ENGINE_ATTACHMENT_CHECK = None
    typed = do_attach(case, acting_user=world.ctc_agent, file=SimpleUploadedFile("a.png", b"x"))
    described = do_attach(case, acting_user=world.ctc_agent, file=SimpleUploadedFile("b.png", b"x"))
    Attachment.objects.filter(pk=typed.pk).update(content_type="", description="image/png")
    Attachment.objects.filter(pk=described.pk).update(content_type="", description="Vue du trottoir")
    import_module("engine.migrations.0007_attachment_content_type").move_types_out_of_descriptions(apps, None)
    rows = dict(Attachment.objects.values_list("name", "content_type"))
    assert rows == {"a.png": "image/png", "b.png": ""}
    assert Attachment.objects.get(pk=typed.pk).description == ""
    assert Attachment.objects.get(pk=described.pk).description == "Vue du trottoir"
