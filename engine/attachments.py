"""Files attached to cases: the check an upload goes through, and how a stored file is served.

The engine does not know which files a domain accepts. ``settings.ENGINE_ATTACHMENT_CHECK`` names a
function ``check(file) -> CheckedFile`` that recognises the file by its content and raises Django's
``ValidationError`` (its messages say what is wrong) to refuse it; without the setting, any file up to
``settings.ENGINE_ATTACHMENT_MAX_BYTES`` (10 MB) is accepted as ``application/octet-stream``.

Downloads are sent with the type recorded at upload (never one guessed from the name), with
``X-Content-Type-Options: nosniff``; only raster images are shown inline, everything else is a
download (``Content-Disposition: attachment``), and the response gets a policy that runs nothing.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.utils.formats import number_format
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
OCTET_STREAM = "application/octet-stream"
# Shown inline by the browser (as an image, never as a document): raster formats only, no SVG.
INLINE_IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
# What a downloaded file may do in the browser: nothing (no script, no plugin, no form).
DOWNLOAD_POLICY = "default-src 'none'; img-src 'self'; sandbox"


@dataclass(frozen=True)
class CheckedFile:
    name: str
    content_type: str
    size: int


def human_size(size):
    """A size for people, in the current language: ``512 bytes``, ``900 KB``, ``1.5 MB``, ``12 MB``."""
    size = int(size or 0)
    if size < 1024:
        return ngettext("%(size)d byte", "%(size)d bytes", size) % {"size": size}
    value = size / 1024
    units = [_("%(size)s KB"), _("%(size)s MB"), _("%(size)s GB")]
    for unit in units:
        if value < 1024 or unit is units[-1]:
            break
        value /= 1024
    rounded = round(value, 1) if value < 10 else round(value)
    text = str(int(rounded)) if rounded == int(rounded) else number_format(rounded, 1)
    return unit % {"size": text}


def max_bytes():
    return getattr(settings, "ENGINE_ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES)


def _file_name(file):
    return (getattr(file, "name", "") or "file").replace("\\", "/").rsplit("/", 1)[-1][:255] or "file"


def accept_any_file(file):
    """The default check: any content, within the size limit."""
    name, limit = _file_name(file), max_bytes()
    size = getattr(file, "size", None) or 0
    if size > limit:
        raise ValidationError(
            _("%(name)s is too large (%(size)s; %(limit)s at most).")
            % {"name": name, "size": human_size(size), "limit": human_size(limit)}
        )
    return CheckedFile(name=name, content_type=OCTET_STREAM, size=size)


_checker = None


def _check_function():
    global _checker
    path = getattr(settings, "ENGINE_ATTACHMENT_CHECK", None) or "engine.attachments.accept_any_file"
    if _checker is None or _checker[0] != path:
        _checker = (path, import_string(path))
    return _checker[1]


def check_file(file):
    """Run the configured check on one upload: a CheckedFile, or ValidationError saying why not."""
    return _check_function()(file)


def content_type_of(attachment):
    """The type recorded at upload; for a row stored before types were recorded, the check's answer
    on the stored content (octet-stream if it refuses it)."""
    if attachment.content_type:
        return attachment.content_type
    try:
        with attachment.file.open("rb") as handle:
            return check_file(_Named(handle, attachment.name, attachment.size_bytes)).content_type
    except (ValidationError, OSError, ValueError):
        return OCTET_STREAM


class _Named:
    """A stored file seen as an upload (name and size of the attachment row)."""

    def __init__(self, handle, name, size):
        self._handle, self.name, self.size = handle, name, size

    def read(self, *args):
        return self._handle.read(*args)

    def seek(self, *args):
        return self._handle.seek(*args)

    def __iter__(self):
        return iter(self._handle)

    def chunks(self, chunk_size=64 * 1024):
        self._handle.seek(0)
        while chunk := self._handle.read(chunk_size):
            yield chunk


def attachment_response(attachment):
    """The stored file as a response: its recorded type, nosniff, inline only for raster images."""
    content_type = content_type_of(attachment)
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404(_("The file is missing.")) from None
    inline = content_type in INLINE_IMAGE_TYPES
    response = FileResponse(
        handle, as_attachment=not inline, filename=attachment.name, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = DOWNLOAD_POLICY
    return response
