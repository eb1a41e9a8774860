"""Tables written as CSV or XLSX downloads (the lists' exports).

A table is a list of column headers and an iterable of rows (tuples of str, int, date, datetime or
None). Aware datetimes are shown in the current time zone (the user's: Django's active one), as the
pages show them. CSV is UTF-8 with a byte order mark and semicolons, which spreadsheet software set up
in French opens as columns; XLSX is written by openpyxl in write-only mode (rows are streamed). The
writers are the observation's (``observation/exports.py``), so every export of the product reads alike.
"""

import io

from django.http import HttpResponse
from django.utils import timezone
from django.utils.text import slugify

from observation import exports as tables  # the CSV and XLSX writers (the observation's exports too)

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def write_csv(headers, rows):
    return b"".join(tables.csv_chunks(headers, rows))


def write_xlsx(headers, rows, title):
    buffer = io.BytesIO()
    tables.write_xlsx(buffer, [((str(title) or "GUP"), headers, rows)])
    return buffer.getvalue()


def file_name(*parts, fmt):
    """``gup-<parts>-<date and time>.<fmt>``, e.g. ``gup-demandes-2026-12-01-1045.csv``."""
    stamp = timezone.localtime().strftime("%Y-%m-%d-%H%M")
    words = "-".join(slugify(str(part)) for part in parts if part)
    return f"gup-{words}-{stamp}.{fmt}"


def table_response(fmt, headers, rows, *, name_parts, title=""):
    """The download of one table in ``fmt`` (``csv`` or ``xlsx``, checked by the caller)."""
    content = write_csv(headers, rows) if fmt == "csv" else write_xlsx(headers, rows, title or name_parts[0])
    response = HttpResponse(content, content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{file_name(*name_parts, fmt=fmt)}"'
    return response
