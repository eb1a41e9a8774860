"""Attachments on the request pages: checked by the action, errors next to the field, safe downloads,
thumbnails and descriptions."""

import re

import pytest
from django.urls import reverse

from engine.models import Attachment, AuditEntry, OutboxEvent
from procedures.models import InterventionRequest
from tests.api.test_attachments import EVIL_PNG
from tests.procedures.helpers import PDF_MINIMAL, PNG_1PX, upload
from tests.web.test_requests import body_of, file_form, file_request


@pytest.fixture
def setup(world, procedure, category, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return world


def field_errors(page, field_id):
    found = re.search(rf'<ul class="errorlist" id="{field_id}-errors">(.*?)</ul>', page, re.S)
    return re.findall(r"<li>(.*?)</li>", found.group(1)) if found else []


def written():
    return (
        Attachment.objects.count(),
        AuditEntry.objects.filter(event="attached").count(),
        OutboxEvent.objects.filter(kind="case.attached").count(),
    )


def test_a_png_named_html_is_refused_next_to_the_field_and_nothing_is_written(client, setup):
    filed = file_request(client, setup.commune_user)
    response = client.post(
        reverse("request-attach", args=[filed.reference]),
        {"file": upload("evil.html", EVIL_PNG, "text/html")},
    )
    assert response.status_code == 400
    assert field_errors(body_of(response), "id_file") == [
        "evil.html est un fichier PNG : son nom doit se terminer par .png."
    ]
    assert written() == (0, 0, 0)


def test_the_configured_limit_is_said_in_the_help_and_applied_to_files_and_photos(client, setup, settings):
    settings.GUP_UPLOAD_MAX_BYTES = 2 * 1024 * 1024
    filed = file_request(client, setup.commune_user)
    detail = body_of(client.get(reverse("request-detail", args=[filed.reference])))
    assert "JPEG, PNG, GIF, WebP ou PDF, 2 Mo au maximum." in detail
    form = body_of(client.get(reverse("request-new")))
    assert "JPEG, PNG, GIF, WebP ou PDF : jusqu&#x27;à 10 fichiers, 2 Mo au maximum chacun." in form

    settings.GUP_UPLOAD_MAX_BYTES = 40
    expected = f"trou.png est trop volumineux ({len(PNG_1PX)} octets ; 40 octets au maximum)."
    response = client.post(
        reverse("request-attach", args=[filed.reference]), {"file": upload("trou.png", PNG_1PX, "image/png")}
    )
    assert response.status_code == 400 and field_errors(body_of(response), "id_file") == [expected]
    before = InterventionRequest.objects.count()
    response = client.post(
        reverse("request-new"), file_form(photos=[upload("trou.png", PNG_1PX, "image/png")])
    )
    assert response.status_code == 400 and field_errors(body_of(response), "id_photos") == [expected]
    assert InterventionRequest.objects.count() == before and written() == (0, 0, 0)


def test_the_request_page_shows_a_thumbnail_for_images_and_each_description(client, setup):
    filed = file_request(client, setup.commune_user)
    url = reverse("request-attach", args=[filed.reference])
    photo = {"file": upload("trou.png", PNG_1PX, "image/png"), "description": "Le trou, vu du trottoir"}
    assert client.post(url, photo).status_code == 302
    assert client.post(url, {"file": upload("devis.pdf", PDF_MINIMAL, "application/pdf")}).status_code == 302
    image, document = Attachment.objects.order_by("pk")
    assert (image.content_type, document.content_type) == ("image/png", "application/pdf")
    page = body_of(client.get(reverse("request-detail", args=[filed.reference])))
    image_url = reverse("request-attachment", args=[filed.reference, image.pk])
    document_url = reverse("request-attachment", args=[filed.reference, document.pk])
    # one link per file; for an image, its thumbnail (served by the same view) is in the link
    assert (
        f'<a href="{image_url}"><img class="thumbnail" src="{image_url}" alt="" loading="lazy"> trou.png</a>'
        in page
    )
    assert '<p class="attachment-description">Le trou, vu du trottoir</p>' in page
    assert f'src="{document_url}"' not in page and f'<a href="{document_url}">devis.pdf</a>' in page
    assert f"({len(PNG_1PX)} octets," in page

    shown = client.get(image_url)
    assert (shown.status_code, shown["Content-Type"]) == (200, "image/png")
    assert shown["Content-Disposition"] == 'inline; filename="trou.png"'
    assert shown["X-Content-Type-Options"] == "nosniff"
    downloaded = client.get(document_url)
    assert (downloaded["Content-Type"], downloaded["X-Content-Type-Options"]) == (
        "application/pdf",
        "nosniff",
    )
    assert downloaded["Content-Disposition"] == 'attachment; filename="devis.pdf"'
    assert "no-store" in downloaded["Cache-Control"]
