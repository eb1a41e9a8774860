import pytest
from django.core.exceptions import ValidationError

from procedures.uploads import check_upload, check_uploads
from tests.procedures.helpers import JPEG_MINIMAL, PDF_MINIMAL, PNG_1PX, upload


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("photo.jpg", JPEG_MINIMAL, "image/jpeg"),
        ("photo.png", PNG_1PX, "image/png"),
        ("scan.pdf", PDF_MINIMAL, "application/pdf"),
        ("renamed.txt", PNG_1PX, "image/png"),  # the content decides, not the name
    ],
)
def test_it_accepts_images_and_pdf_recognised_by_content(name, content, expected):
    checked = check_upload(upload(name, content, "text/plain"))
    assert (checked.content_type, checked.size) == (expected, len(content))


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("photo.jpg", b"this is really a text file pretending to be a photo\n"),
        ("photo.jpg", b"\xff\xd8\xff\xe0 truncated jpeg without end marker"),
        ("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40),
        ("doc.pdf", b"%PDF-1.4\nno objects and no end marker"),
        ("page.html", b"<html><script>alert(1)</script></html>"),
        ("archive.zip", b"PK\x03\x04" + b"\x00" * 100),
    ],
)
def test_it_refuses_a_file_whose_content_is_not_an_image_or_pdf(name, content):
    with pytest.raises(ValidationError) as raised:
        check_upload(upload(name, content, "image/jpeg"))
    assert name in raised.value.messages[0]


def test_it_refuses_a_file_over_the_size_limit(settings):
    settings.GUP_UPLOAD_MAX_BYTES = len(PDF_MINIMAL) - 1
    with pytest.raises(ValidationError) as raised:
        check_upload(upload("scan.pdf", PDF_MINIMAL))
    assert "trop volumineux" in raised.value.messages[0]  # French, the default language


def test_it_lists_every_refused_file_under_files():
    with pytest.raises(ValidationError) as raised:
        check_uploads([upload("a.jpg", b"text"), upload("ok.png", PNG_1PX), upload("b.pdf", b"")])
    messages = raised.value.message_dict["files"]
    assert len(messages) == 2 and "a.jpg" in messages[0] and "b.pdf" in messages[1]
