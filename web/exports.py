"""Tables written as CSV or XLSX downloads (the lists' exports).

A table is a list of column headers and an iterable of rows (tuples of str, int, date, datetime or
None). Aware datetimes are shown in the current time zone (the user's: Django's active one), as the
pages show them. CSV is UTF-8 with a byte order mark and semicolons, which spreadsheet software set up
in French opens as columns; XLSX is written by openpyxl in write-only mode (rows are streamed).
"""

import csv
import io
from datetime import date, datetime

from django.http import HttpResponse
from django.utils import timezone
from django.utils.text import slugify

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def local(value):
    """An aware datetime in the current time zone, without its zone (spreadsheets have none)."""
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(tzinfo=None, microsecond=0)
    return value


def _csv_text(value):
    value = local(value)
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def write_csv(headers, rows):
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([str(header) for header in headers])
    for row in rows:
        writer.writerow([_csv_text(value) for value in row])
    return buffer.getvalue().encode("utf-8")


def write_xlsx(headers, rows, title):
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=(str(title) or "GUP")[:31])
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=str(header))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        cells = []
        for value in row:
            value = local(value)
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, datetime):
                cell.number_format = "DD/MM/YYYY HH:MM"
            elif isinstance(value, date):
                cell.number_format = "DD/MM/YYYY"
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
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
