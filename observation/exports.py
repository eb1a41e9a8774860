"""Exports of the observation: one row per request behind the figures (dates, delays, targets, on
time or not, handler, commune, QPV; no personal data), and the figures' tables.

Streamed: ``csv_chunks`` yields the CSV line by line from a database iterator (a year of a large
commune never sits in memory); ``write_xlsx`` writes with openpyxl's write-only mode into a file.
"""

import csv
import io
from datetime import date, datetime

from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from engine.models import Deadline
from observation.figures import observed_requests

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _clock(kind, field, first):
    rows = Deadline.objects.filter(case_id=OuterRef("case_id"), kind=kind, taken_seconds__isnull=False)
    return Subquery(rows.order_by("pk" if first else "-pk").values(field)[:1])


def request_headers():
    return [
        _("Reference"), _("Filed at"), _("Category"), _("Group"), _("Commune"), _("In a QPV"),
        _("Kind of handler"), _("Handler unit"), _("Step"), _("Urgency asked"), _("Urgency justified"),
        _("Acknowledge target (business hours)"), _("Acknowledged in (business hours)"),
        _("Acknowledged on time"), _("Resolve target (business hours)"), _("Resolved in (business hours)"),
        _("Resolved on time"), _("Paused (business hours)"), _("Resolved at"), _("Closed at"),
    ]  # fmt: skip


def _hours(seconds):
    return None if seconds is None else round(seconds / 3600, 2)


def _on_time(taken, target):
    if taken is None or target is None:
        return None
    return _("yes") if taken <= target else _("no")


def request_rows(user, filters):
    """The rows, read in chunks (the last measured clock of each kind: a reopened request's last work)."""
    queryset = (
        observed_requests(user, filters)
        .annotate(
            ack_target=_clock("acknowledge", "target_seconds", True),
            ack_taken=_clock("acknowledge", "taken_seconds", True),
            res_target=_clock("resolve", "target_seconds", False),
            res_taken=_clock("resolve", "taken_seconds", False),
            res_waited=_clock("resolve", "waited_seconds", False),
        )
        .values_list(
            "reference", "created_at", "category__name", "category_group__name", "commune__name", "in_qpv",
            "handler_organisation__kind", "handler_unit__name", "case__state", "urgency_requested",
            "urgency_justified", "ack_target", "ack_taken", "res_target", "res_taken", "res_waited",
            "resolved_at", "closed_at",
        )
        .order_by("created_at", "pk")
    )  # fmt: skip
    yes, no = _("yes"), _("no")
    for row in queryset.iterator(chunk_size=2000):
        (reference, filed, category, group, commune, in_qpv, kind, unit, state, urgency, justified,
         ack_target, ack_taken, res_target, res_taken, res_waited, resolved, closed) = row  # fmt: skip
        yield (
            reference, filed, category, group, commune, yes if in_qpv else no, kind or "", unit or "",
            state, urgency, "" if justified is None else (yes if justified else no),
            _hours(ack_target), _hours(ack_taken), _on_time(ack_taken, ack_target),
            _hours(res_target), _hours(res_taken), _on_time(res_taken, res_target), _hours(res_waited),
            resolved, closed,
        )  # fmt: skip


def _local(value):
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(tzinfo=None, microsecond=0)
    return value


def _text(value):
    value = _local(value)
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float):
        return f"{value:.2f}".replace(".", ",")  # French spreadsheets read a decimal comma
    return str(value)


def csv_chunks(headers, rows):
    """UTF-8 CSV with a byte order mark and semicolons, one line at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([str(header) for header in headers])
    yield ("\ufeff" + buffer.getvalue()).encode("utf-8")
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_text(value) for value in row])
        yield buffer.getvalue().encode("utf-8")


def write_xlsx(target, sheets):
    """``sheets``: [(title, headers, rows)]; written to ``target`` (a path or a binary file) in
    openpyxl's write-only mode (rows are streamed to disk)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for title, headers, rows in sheets:
        sheet = workbook.create_sheet(title=str(title)[:31])
        header_cells = []
        for header in headers:
            cell = WriteOnlyCell(sheet, value=str(header))
            cell.font = bold
            header_cells.append(cell)
        sheet.append(header_cells)
        for row in rows:
            cells = []
            for value in row:
                value = _local(value)
                cell = WriteOnlyCell(sheet, value=value)
                if isinstance(value, datetime):
                    cell.number_format = "DD/MM/YYYY HH:MM"
                elif isinstance(value, date):
                    cell.number_format = "DD/MM/YYYY"
                cells.append(cell)
            sheet.append(cells)
    workbook.save(target)


def file_name(*parts, fmt):
    from django.utils.text import slugify

    stamp = timezone.localtime().strftime("%Y-%m-%d-%H%M")
    words = "-".join(slugify(str(part)) for part in parts if part)
    return f"gup-{words}-{stamp}.{fmt}"


def dashboard_tables(figures):
    """The tables of the Observation page (and of an annual review) from its figures (the context of
    observation.dashboard.build, or a review's stored figures): {name: (title, headers, rows)}."""
    return {
        "months": (
            _("Months"),
            [_("Month"), _("Filed"), _("Done"), _("Still to do at the month's end"), _("On time")],
            [
                (m["label"], m["filed"], m["done"], m["backlog"], m["share"])
                for m in figures.get("months", [])
            ],
        ),
        "handlers": (
            _("Handlers"),
            [_("Handler unit"), _("Filed"), _("Median to resolve"), _("90th percentile"), _("Target"),
             _("On time")],
            [
                (h["name"], h["filed"], h["median_hours"], h["p90_hours"], h["target_hours"],
                 h["on_time_share"])
                for h in figures.get("handlers", [])
            ],
        ),
        "communes": (
            _("Communes"),
            [_("Commune"), _("Filed"), _("Done"), _("Reopened"), _("Urgent"), _("Unjustified urgencies")],
            [
                (c["name"], c["filed"], c["done"], c["reopened"], c["urgent"], c["unjustified_urgent"])
                for c in figures.get("communes", [])
            ],
        ),
        "categories": (
            _("Categories"),
            [_("Category"), _("Filed"), _("Done"), _("Median to resolve")],
            [
                (c["name"], c["filed"], c["done"], c["resolve"]["median_hours"])
                for c in figures.get("categories", [])
            ],
        ),
    }  # fmt: skip
