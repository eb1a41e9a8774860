"""Attachments through the API: checked by the action (content, name, size limit), served safely."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from engine.models import Attachment, AuditEntry, OutboxEvent
from tests.api.test_requests import file_as
from tests.procedures.helpers import PDF_MINIMAL, PNG_1PX

# A valid PNG carrying a script in a text chunk: harmless as an image, dangerous served as HTML.
EVIL_PNG = (
    PNG_1PX[:33] + b"\x00\x00\x00\x1ctEXtComment\x00<script>alert(1)</script>\x00\x00\x00\x00" + PNG_1PX[33:]
)


@pytest.fixture
def filed(as_user, world, potholes, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    commune = as_user(world.commune_user)
    return commune, file_as(commune)


def post_file(client, request, name, content, **extra):
    upload = SimpleUploadedFile(name, content, content_type="image/png")
    return client.post(
        f"/api/v1/requests/{request.pk}/attachments/", {"file": upload, **extra}, format="multipart"
    )


def written(request):
    return (
        Attachment.objects.filter(case_id=request.case_id).count(),
        AuditEntry.objects.filter(case_id=request.case_id, event="attached").count(),
        OutboxEvent.objects.filter(case_id=request.case_id, kind="case.attached").count(),
    )


def test_it_refuses_a_png_named_html_and_writes_nothing(filed):
    client, request = filed
    response = post_file(client, request, "evil.html", EVIL_PNG)
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "file": ["evil.html est un fichier PNG : son nom doit se terminer par .png."]
    }
    assert written(request) == (0, 0, 0)


def test_it_refuses_a_file_over_the_configured_limit_saying_the_sizes(filed, settings):
    client, request = filed
    settings.GUP_UPLOAD_MAX_BYTES = 40
    response = post_file(client, request, "trou.png", PNG_1PX)
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "file": [f"trou.png est trop volumineux ({len(PNG_1PX)} octets ; 40 octets au maximum)."]
    }
    assert written(request) == (0, 0, 0)
    settings.GUP_UPLOAD_MAX_BYTES = len(PNG_1PX)
    assert post_file(client, request, "trou.png", PNG_1PX).status_code == 201
    assert written(request) == (1, 1, 1)


def test_a_pdf_is_served_as_a_download_with_its_type_and_nosniff(filed, world, as_user):
    client, request = filed
    created = post_file(client, request, "devis.pdf", PDF_MINIMAL, description="Devis du bailleur")
    assert created.status_code == 201
    body = created.json()
    assert (body["content_type"], body["description"], body["size_bytes"]) == (
        "application/pdf",
        "Devis du bailleur",
        len(PDF_MINIMAL),
    )
    response = as_user(world.ctc_agent).get(f"/api/v1/requests/{request.pk}/attachments/{body['id']}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == 'attachment; filename="devis.pdf"'
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == PDF_MINIMAL


def test_an_image_is_served_inline_with_its_image_type(filed):
    client, request = filed
    created = post_file(client, request, "trou.PNG", PNG_1PX).json()
    response = client.get(f"/api/v1/requests/{request.pk}/attachments/{created['id']}/")
    assert (response.status_code, response["Content-Type"]) == (200, "image/png")
    assert response["Content-Disposition"] == 'inline; filename="trou.PNG"'
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_file_stored_before_types_were_recorded_is_served_with_the_type_of_its_content(filed):
    client, request = filed
    old_png = Attachment(case_id=request.case_id, name="vieux.png", size_bytes=len(PNG_1PX))
    old_png.file.save("vieux.png", ContentFile(PNG_1PX), save=True)
    old_html = Attachment(case_id=request.case_id, name="page.html", size_bytes=len(EVIL_PNG))
    old_html.file.save("page.html", ContentFile(EVIL_PNG), save=True)
    base = f"/api/v1/requests/{request.pk}/attachments/"
    png = client.get(f"{base}{old_png.pk}/")
    assert (png["Content-Type"], png["Content-Disposition"][:7]) == ("image/png", "inline;")
    html = client.get(f"{base}{old_html.pk}/")  # its name does not agree: a plain download
    assert (html["Content-Type"], html["Content-Disposition"][:11]) == (
        "application/octet-stream",
        "attachment;",
    )


def test_authenticated_api_responses_are_not_cached_and_anonymous_open311_ones_may_be(filed, api):
    client, request = filed
    for url in ("/api/v1/requests/", f"/api/v1/requests/{request.pk}/", "/api/v1/me/"):
        response = client.get(url)
        assert response.status_code == 200 and "no-store" in response["Cache-Control"], url
    anonymous = api.get("/open311/v2/services.json")
    assert anonymous.status_code == 200 and "Cache-Control" not in anonymous
    assert "script-src 'self'" in anonymous["Content-Security-Policy"]
