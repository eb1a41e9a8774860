"""Meeting documents and questionnaire files: PDF, OpenDocument (ODT, ODS, ODP) and Office Open XML
(DOCX, XLSX, PPTX) recognised by their content, never by the declared type.

A PDF is checked as the intervention requests' uploads do it (``procedures.uploads``). An OpenDocument
file is a zip whose first entry is ``mimetype``, stored, holding the document's type; an Office Open XML
file is a zip whose ``[Content_Types].xml`` declares the main part of a document, workbook or
presentation. The name's extension must agree with the content, and the size is at most
``STEERING_DOCUMENT_MAX_BYTES``.
"""

import io
import os
import zipfile

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from engine.attachments import CheckedFile, human_size
from procedures.uploads import sniff_content_type
from steering import conf

ODF = {
    b"application/vnd.oasis.opendocument.text": ("ODT", (".odt",)),
    b"application/vnd.oasis.opendocument.spreadsheet": ("ODS", (".ods",)),
    b"application/vnd.oasis.opendocument.presentation": ("ODP", (".odp",)),
}
OOXML = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "DOCX",
        (".docx",),
    ),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "XLSX",
        (".xlsx",),
    ),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "PPTX",
        (".pptx",),
    ),
}


def _sniff_zip(data):
    """(content type, format, extensions) of an office file, or None."""
    if data[:4] != b"PK\x03\x04":
        return None
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = archive.namelist()
        if names and names[0] == "mimetype":
            info = archive.getinfo("mimetype")
            kind = archive.read("mimetype").strip()
            if info.compress_type == zipfile.ZIP_STORED and kind in ODF:
                name, extensions = ODF[kind]
                return kind.decode(), name, extensions
            return None
        if "[Content_Types].xml" in names:
            types = archive.read("[Content_Types].xml").decode("utf-8", "replace")
            for main, (content_type, name, extensions) in OOXML.items():
                if f'ContentType="{main}"' in types:
                    return content_type, name, extensions
    except (zipfile.BadZipFile, KeyError, OSError, RuntimeError, NotImplementedError):
        return None
    return None


def sniff_document(data):
    if sniff_content_type(data) == "application/pdf":
        return "application/pdf", "PDF", (".pdf",)
    return _sniff_zip(data)


def check_document(upload):
    """Check one uploaded document; return what it is (CheckedFile) or raise ValidationError naming it."""
    name = os.path.basename((getattr(upload, "name", "") or "file").replace("\\", "/")) or "file"
    stem, extension = os.path.splitext(name)
    name = stem[: 255 - len(extension[:16])] + extension[:16]
    limit = conf.get("STEERING_DOCUMENT_MAX_BYTES")
    size = getattr(upload, "size", None)
    upload.seek(0)
    data = upload.read(limit + 1)
    upload.seek(0)
    if (size is not None and size > limit) or len(data) > limit:
        raise ValidationError(
            _("%(name)s is too large (%(limit)s at most).") % {"name": name, "limit": human_size(limit)}
        )
    if not data:
        raise ValidationError(_("%(name)s is empty.") % {"name": name})
    found = sniff_document(data)
    if found is None:
        raise ValidationError(
            _(
                "%(name)s is not a PDF, OpenDocument (ODT, ODS, ODP) or Office (DOCX, XLSX, PPTX) document; "
                "its content was checked."
            )
            % {"name": name}
        )
    content_type, label, extensions = found
    if extension.lower() not in extensions:
        raise ValidationError(
            _("%(name)s is a %(format)s file: its name must end in %(extensions)s.")
            % {"name": name, "format": label, "extensions": ", ".join(extensions)}
        )
    return CheckedFile(name=name, content_type=content_type, size=len(data))
