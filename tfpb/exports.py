"""Exports: a programme (with its yearly review) as XLSX and PDF, and the community-wide table of a year.

Amounts are written as numbers with a euro format (never rounded through floats before writing: openpyxl
stores Decimal values as given)."""

import base64
import io
from pathlib import Path

from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from tfpb import figures

PDF_CSS = Path(__file__).resolve().parent / "static" / "tfpb" / "programme_pdf.css"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EURO = '#,##0.00 "€"'


def _header(sheet, titles):
    sheet.append(titles)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)


def _euros(sheet, columns):
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if cell.column_letter in columns and cell.value is not None and not isinstance(cell.value, str):
                cell.number_format = EURO


def _save(book):
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def programme_xlsx(programme):
    book = Workbook()
    sheet = book.active
    sheet.title = _("Actions")[:31]
    _header(
        sheet,
        [
            _("Axis"),
            _("Action"),
            _("Residences or places"),
            _("Planned (€)"),
            _("Realised (€)"),
            _("Indicators"),
            _("What was done"),
        ],
    )
    for action in programme.actions.select_related("axis").prefetch_related("indicators"):
        indicators = "; ".join(
            f"{i.name}: {i.reached if i.reached is not None else '—'} / {i.target} {i.unit}".strip()
            for i in action.indicators.all()
        )
        sheet.append(
            [
                action.axis.name,
                action.title,
                action.places,
                action.planned_amount_eur,
                action.realised_amount_eur,
                indicators,
                action.realisation_comment,
            ]
        )
    last = sheet.max_row
    sheet.append([_("Total"), "", "", f"=SUM(D2:D{last})", f"=SUM(E2:E{last})", "", ""])
    sheet[sheet.max_row][0].font = Font(bold=True)
    _euros(sheet, {"D", "E"})
    for cell in sheet[sheet.max_row][3:5]:
        cell.number_format = EURO
    summary = book.create_sheet(_("Summary")[:31])
    sums = figures.totals(programme)
    for label, value in [
        (_("Landlord"), programme.convention.landlord.name),
        (_("Convention"), programme.convention.reference),
        (_("QPV"), programme.qpv.name),
        (_("Year"), programme.year),
        (_("Expected abatement (€)"), programme.expected_abatement_eur),
        (_("Planned total (€)"), sums["planned"]),
        (_("Realised total (€)"), sums["realised"]),
        (_("Programme"), programme.get_status_display()),
        (_("Yearly review"), programme.get_review_status_display()),
    ]:
        summary.append([label, value])
    for row in summary.iter_rows(min_row=5, max_row=7):
        row[1].number_format = EURO
    by_axis = book.create_sheet(_("By axis")[:31])
    _header(by_axis, [_("Axis"), _("Planned (€)"), _("Realised (€)")])
    for axis, planned, realised in figures.by_axis([programme]):
        by_axis.append([axis.name, planned, realised])
    _euros(by_axis, {"B", "C"})
    _dysfunctions_sheet(book, figures.dysfunctions(programme))
    return _save(book)


def _dysfunctions_sheet(book, found):
    """The review page's dysfunctions: requests per category, then the diagnostics' findings per item."""
    sheet = book.create_sheet(_("Dysfunctions")[:31])
    _header(sheet, [_("Source"), _("Category"), _("Theme"), _("Item"), _("Number")])
    for row in found["by_category"]:
        sheet.append([_("Requests"), row["category"], "", "", row["count"]])
    for row in found["findings_by_item"]:
        sheet.append([_("Walking diagnostics"), "", row["theme"], row["item"], row["count"]])


def overview_xlsx(year, programmes):
    book = Workbook()
    sheet = book.active
    sheet.title = str(year)
    _header(
        sheet,
        [
            _("Landlord"),
            _("QPV"),
            _("Expected abatement (€)"),
            _("Planned (€)"),
            _("Realised (€)"),
            _("Planned covers the abatement"),
            _("Programme"),
            _("Yearly review"),
        ],
    )
    rows = figures.overview(year, programmes)
    for row in rows:
        sheet.append(
            [
                row["landlord"],
                row["qpv"],
                row["expected"],
                row["planned"],
                row["realised"],
                _("yes") if row["covered"] else _("no"),
                row["status"],
                row["review_status"],
            ]
        )
    last = sheet.max_row
    sheet.append([_("Total"), "", f"=SUM(C2:C{last})", f"=SUM(D2:D{last})", f"=SUM(E2:E{last})", "", "", ""])
    _euros(sheet, {"C", "D", "E"})
    for cell in sheet[sheet.max_row][2:5]:
        cell.number_format = EURO
    return _save(book)


def review_context(programme):
    """What the review page and the PDF show: totals, per axis, the chart, the dysfunctions."""
    from tfpb.charts import planned_realised_svg

    rows = figures.by_axis([programme])
    svg = planned_realised_svg(
        [axis.name for axis, _p, _r in rows],
        [p for _a, p, _r in rows],
        [r for _a, _p, r in rows],
        planned_label=_("Planned"),
        realised_label=_("Realised"),
        amount_label=_("Euros"),
    )
    sums = figures.totals(programme)
    return {
        "programme": programme,
        "actions": programme.actions.select_related("axis").prefetch_related("indicators"),
        "by_axis": rows,
        "totals": sums,
        "covered": sums["planned"] >= programme.expected_abatement_eur,
        "chart_svg": svg,
        "chart_data_uri": "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode(),
        "dysfunctions": figures.dysfunctions(programme),
    }


def programme_pdf(programme, request=None):
    from weasyprint import CSS, HTML

    html = render_to_string("web/tfpb/programme_pdf.html", review_context(programme), request=request)
    return HTML(string=html).write_pdf(stylesheets=[CSS(filename=str(PDF_CSS))])
