"""Checks on uploaded photos and documents: images and PDF only, recognised by their content.

The file name and the declared content type are not trusted: the first bytes must carry the format's
signature and the structure must hold together (a PNG starts with its IHDR chunk, a JPEG with a
marker segment and ends with its end-of-image marker, a PDF has a header, objects and an end marker).
"""

import os
import struct
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from procedures import conf

ALLOWED = {
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
    "image/gif": (".gif",),
    "image/webp": (".webp",),
    "application/pdf": (".pdf",),
}


@dataclass(frozen=True)
class CheckedUpload:
    name: str
    content_type: str
    size: int


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


def check_upload(upload):
    """Check one uploaded file; return what it really is, or raise ValidationError naming the file."""
    name = os.path.basename(getattr(upload, "name", "") or "file")
    limit = conf.get("GUP_UPLOAD_MAX_BYTES")
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise ValidationError(
            _("%(name)s is too large (%(size)d bytes; at most %(limit)d).")
            % {"name": name, "size": size, "limit": limit}
        )
    data = _read_all(upload)
    if len(data) > limit:
        raise ValidationError(
            _("%(name)s is too large (%(size)d bytes; at most %(limit)d).")
            % {"name": name, "size": len(data), "limit": limit}
        )
    if not data:
        raise ValidationError(_("%(name)s is empty.") % {"name": name})
    content_type = sniff_content_type(data)
    if content_type is None:
        raise ValidationError(
            _("%(name)s is not an image (JPEG, PNG, GIF, WebP) or a PDF document; its content was checked.")
            % {"name": name}
        )
    return CheckedUpload(name=name, content_type=content_type, size=len(data))


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
