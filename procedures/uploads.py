"""Checks on uploaded photos and documents: images and PDF only, recognised by their content.

The declared content type is not trusted: the first bytes must carry the format's signature and the
structure must hold together (a PNG starts with its IHDR chunk, a JPEG with a marker segment and ends
with its end-of-image marker, a PDF has a header, objects and an end marker). The name's extension
must agree with what the content is (a PNG named ``page.html`` is refused). This is the engine's
attachment check (``settings.ENGINE_ATTACHMENT_CHECK``): every attached file goes through it, from
the API, the web pages and the filing of a request alike, with the limit ``GUP_UPLOAD_MAX_BYTES``.
"""

import os
import struct

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from engine.attachments import CheckedFile, human_size
from procedures import conf

ALLOWED = {
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
    "image/gif": (".gif",),
    "image/webp": (".webp",),
    "application/pdf": (".pdf",),
}
FORMATS = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/gif": "GIF",
    "image/webp": "WebP",
    "application/pdf": "PDF",
}

CheckedUpload = CheckedFile


def _read_all(upload):
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    return data


def _is_jpeg(data):
    # SOI, then a marker segment (APPn, DQT, SOF...), and the end-of-image marker at the end
    # (a few trailing padding bytes are tolerated).
    return (
        len(data) > 4
        and data[:3] == b"\xff\xd8\xff"
        and data[3] in range(0xC0, 0xFF)
        and b"\xff\xd9" in data[-32:]
    )


def _is_png(data):
    if len(data) < 33 or data[:8] != b"\x89PNG\r\n\x1a\n":
        return False
    length, chunk = struct.unpack(">I4s", data[8:16])
    width, height = struct.unpack(">II", data[16:24])
    return chunk == b"IHDR" and length == 13 and width > 0 and height > 0 and b"IEND" in data[-16:]


def _is_gif(data):
    if len(data) < 14 or data[:6] not in (b"GIF87a", b"GIF89a"):
        return False
    width, height = struct.unpack("<HH", data[6:10])
    return width > 0 and height > 0 and data.rstrip(b"\x00")[-1:] == b"\x3b"


def _is_webp(data):
    if len(data) < 20 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return False
    declared = struct.unpack("<I", data[4:8])[0]
    return data[12:16] in (b"VP8 ", b"VP8L", b"VP8X") and declared + 8 <= len(data) + 1


def _is_pdf(data):
    return (data[:7] in (b"%PDF-1.", b"%PDF-2.")) and b" obj" in data and b"%%EOF" in data[-2048:]


SNIFFERS = [
    ("image/jpeg", _is_jpeg),
    ("image/png", _is_png),
    ("image/gif", _is_gif),
    ("image/webp", _is_webp),
    ("application/pdf", _is_pdf),
]


def sniff_content_type(data):
    for content_type, sniff in SNIFFERS:
        if sniff(data):
            return content_type
    return None


def max_size_text():
    """The size limit for people (``10 MB``), for help texts."""
    return human_size(conf.get("GUP_UPLOAD_MAX_BYTES"))


def _too_large(name, size, limit):
    return ValidationError(
        _("%(name)s is too large (%(size)s; %(limit)s at most).")
        % {"name": name, "size": human_size(size), "limit": human_size(limit)}
    )


def check_upload(upload):
    """Check one uploaded file; return what it really is, or raise ValidationError naming the file."""
    name = os.path.basename((getattr(upload, "name", "") or "file").replace("\\", "/")) or "file"
    stem, extension = os.path.splitext(name)
    name = stem[: 255 - len(extension[:16])] + extension[:16]  # what the attachment row can hold
    limit = conf.get("GUP_UPLOAD_MAX_BYTES")
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise _too_large(name, size, limit)
    data = _read_all(upload)
    if len(data) > limit:
        raise _too_large(name, len(data), limit)
    if not data:
        raise ValidationError(_("%(name)s is empty.") % {"name": name})
    content_type = sniff_content_type(data)
    if content_type is None:
        raise ValidationError(
            _("%(name)s is not an image (JPEG, PNG, GIF, WebP) or a PDF document; its content was checked.")
            % {"name": name}
        )
    if extension.lower() not in ALLOWED[content_type]:
        raise ValidationError(
            _("%(name)s is a %(format)s file: its name must end in %(extensions)s.")
            % {"name": name, "format": FORMATS[content_type], "extensions": ", ".join(ALLOWED[content_type])}
        )
    return CheckedFile(name=name, content_type=content_type, size=len(data))


def check_uploads(files):
    """Check every file; raise one ValidationError keyed ``files`` listing every refused file."""
    files = list(files or ())
    limit = conf.get("GUP_UPLOAD_MAX_FILES")
    if len(files) > limit:
        raise ValidationError({"files": _("At most %(limit)d files per request.") % {"limit": limit}})
    checked, errors = [], []
    for upload in files:
        try:
            checked.append(check_upload(upload))
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ValidationError({"files": errors})
    return checked
