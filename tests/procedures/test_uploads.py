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
        ("PHOTO.JPEG", JPEG_MINIMAL, "image/jpeg"),  # the extension's case does not matter
    ],
)
def test_it_accepts_images_and_pdf_recognised_by_content(name, content, expected):
    checked = check_upload(upload(name, content, "text/plain"))  # the declared type is not trusted
    assert (checked.name, checked.content_type, checked.size) == (name, expected, len(content))


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("evil.html", PNG_1PX, "evil.html est un fichier PNG : son nom doit se terminer par .png."),
        ("renamed.txt", PNG_1PX, "renamed.txt est un fichier PNG : son nom doit se terminer par .png."),
        ("photo.svg", PNG_1PX, "photo.svg est un fichier PNG : son nom doit se terminer par .png."),
        ("photo", JPEG_MINIMAL, "photo est un fichier JPEG : son nom doit se terminer par .jpg, .jpeg."),
        ("scan.png", PDF_MINIMAL, "scan.png est un fichier PDF : son nom doit se terminer par .pdf."),
    ],
)
def test_it_refuses_a_file_whose_name_does_not_agree_with_its_content(name, content, message):
    with pytest.raises(ValidationError) as raised:
        check_upload(upload(name, content, "image/png"))
    assert raised.value.messages == [message]


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


def test_it_refuses_a_file_over_the_size_limit_saying_both_sizes_in_french(settings):
    settings.GUP_UPLOAD_MAX_BYTES = len(PDF_MINIMAL) - 1
    with pytest.raises(ValidationError) as raised:
        check_upload(upload("scan.pdf", PDF_MINIMAL))
    size = len(PDF_MINIMAL)
    assert raised.value.messages == [
        f"scan.pdf est trop volumineux ({size} octets ; {size - 1} octets au maximum)."
    ]


def test_it_says_sizes_in_megabytes(settings):
    settings.GUP_UPLOAD_MAX_BYTES = 10 * 1024 * 1024
    big = upload("photo.png", PNG_1PX)
    big.size = 12 * 1024 * 1024
    with pytest.raises(ValidationError) as raised:
        check_upload(big)
    assert raised.value.messages == ["photo.png est trop volumineux (12 Mo ; 10 Mo au maximum)."]


@pytest.mark.parametrize(
    ("size", "french", "english"),
    [
        (1, "1 octet", "1 byte"),
        (1023, "1023 octets", "1023 bytes"),
        (1024, "1 Ko", "1 KB"),
        (1536, "1,5 Ko", "1.5 KB"),
        (900 * 1024, "900 Ko", "900 KB"),
        (10 * 1024 * 1024, "10 Mo", "10 MB"),
        (12582912, "12 Mo", "12 MB"),
        (int(2.5 * 1024**3), "2,5 Go", "2.5 GB"),
    ],
)
def test_it_writes_sizes_for_people_in_the_current_language(size, french, english):
    from django.utils import translation

    from engine.attachments import human_size

    with translation.override("fr"):
        assert human_size(size) == french
    with translation.override("en"):
        assert human_size(size) == english


def test_it_lists_every_refused_file_under_files():
    with pytest.raises(ValidationError) as raised:
        check_uploads([upload("a.jpg", b"text"), upload("ok.png", PNG_1PX), upload("b.pdf", b"")])
    messages = raised.value.message_dict["files"]
    assert len(messages) == 2 and "a.jpg" in messages[0] and "b.pdf" in messages[1]
