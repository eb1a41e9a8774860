"""The service directory: who to call for what, where; organisation charts; referent cards; exports."""

import csv
import io

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from directory.models import Competence, Organisation, OrganisationKind, Referent


def _filters(request):
    communes = Organisation.objects.filter(kind=OrganisationKind.COMMUNE).order_by("name")
    from procedures.models import Category

    categories = Category.objects.filter(is_active=True).order_by("name")
    commune = (
        communes.filter(pk=request.GET.get("commune")).first()
        if request.GET.get("commune", "").isdigit()
        else None
    )
    category = categories.filter(code=request.GET.get("category", "")).first()
    query = request.GET.get("q", "").strip()[:100]
    return communes, categories, commune, category, query


def directory_rows(commune=None, category=None, query=""):
    """Competences matching the filters, each with its unit, contacts and territory (the communes names)."""
    competences = Competence.objects.select_related("unit__organisation", "category").prefetch_related(
        "communes",
        Prefetch("unit__territory", queryset=Organisation.objects.order_by("name")),
        Prefetch("unit__referents", queryset=Referent.objects.order_by("position", "last_name")),
    )
    if category:
        competences = competences.filter(category=category)
    if commune:
        competences = competences.filter(
            Q(communes=commune) | Q(communes__isnull=True, unit__territory=commune)
        ).distinct()
    if query:
        competences = competences.filter(
            Q(unit__name__icontains=query)
            | Q(unit__organisation__name__icontains=query)
            | Q(category__name__icontains=query)
            | Q(unit__referents__last_name__icontains=query)
            | Q(unit__referents__first_name__icontains=query)
        ).distinct()
    rows = []
    for competence in competences.order_by("category__name", "unit__name", "pk"):
        unit = competence.unit
        territory = list(competence.communes.all()) or list(unit.territory.all())
        rows.append(
            {
                "category": competence.category,
                "unit": unit,
                "organisation": unit.organisation,
                "territory": ", ".join(c.name for c in territory) or _("wherever it owns land"),
                "season": competence.season_label,
                "direct": competence.direct_handling,
                "phone": unit.phone or unit.organisation.phone,
                "email": unit.email or unit.organisation.email,
                "opening_hours": unit.opening_hours,
                "referents": list(unit.referents.all()),
            }
        )
    return rows


def matching_referents(query):
    if not query:
        return []
    return list(
        Referent.objects.select_related("organisation", "unit")
        .filter(
            Q(last_name__icontains=query)
            | Q(first_name__icontains=query)
            | Q(title__icontains=query)
            | Q(organisation__name__icontains=query)
            | Q(unit__name__icontains=query)
        )
        .order_by("last_name", "first_name")[:100]
    )


EXPORT_COLUMNS = [
    ("category", lambda r: r["category"].name),
    ("unit", lambda r: r["unit"].name),
    ("organisation", lambda r: r["organisation"].name),
    ("territory", lambda r: r["territory"]),
    ("season", lambda r: r["season"]),
    ("direct_handling", lambda r: _("yes") if r["direct"] else _("no")),
    ("phone", lambda r: r["phone"]),
    ("email", lambda r: r["email"]),
    ("opening_hours", lambda r: r["opening_hours"]),
    (
        "referents",
        lambda r: "; ".join(
            f"{p.full_name} ({p.get_function_display()}) {p.phone} {p.email}".strip() for p in r["referents"]
        ),
    ),
]


def _headers():
    labels = {
        "category": _("Category"),
        "unit": _("Unit"),
        "organisation": _("Organisation"),
        "territory": _("Territory"),
        "season": _("Season"),
        "direct_handling": _("Direct handling"),
        "phone": _("Phone"),
        "email": _("Email"),
        "opening_hours": _("Opening hours"),
        "referents": _("Referents"),
    }
    return [labels[key] for key, _getter in EXPORT_COLUMNS]


def _csv_response(rows):
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="annuaire-gup.csv"'
    response.write("\ufeff")  # so spreadsheet software reads UTF-8
    writer = csv.writer(response, delimiter=";")
    writer.writerow(_headers())
    for row in rows:
        writer.writerow([getter(row) for _key, getter in EXPORT_COLUMNS])
    return response


def _xlsx_response(rows):
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Directory")[:31]
    sheet.append(_headers())
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([getter(row) for _key, getter in EXPORT_COLUMNS])
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = 'attachment; filename="annuaire-gup.xlsx"'
    return response


@login_required
def directory_home(request):
    communes, categories, commune, category, query = _filters(request)
    rows = directory_rows(commune, category, query)
    export = request.GET.get("format")
    if export == "csv":
        return _csv_response(rows)
    if export == "xlsx":
        return _xlsx_response(rows)
    params = request.GET.copy()
    params.pop("format", None)
    organisations = Organisation.objects.exclude(kind=OrganisationKind.COMMUNE).order_by("kind", "name")
    return render(
        request,
        "web/directory/home.html",
        {
            "communes": communes,
            "categories": categories,
            "commune": commune,
            "category": category,
            "query": query,
            "rows": rows,
            "referents": matching_referents(query),
            "organisations": organisations,
            "export_query": params.urlencode(),
        },
    )


def _tree(units, parent_id=None):
    return [
        {"unit": unit, "children": _tree(units, unit.pk)} for unit in units if unit.parent_id == parent_id
    ]


@login_required
def organisation_chart(request, code):
    organisation = get_object_or_404(Organisation, code=code)
    units = list(
        organisation.units.prefetch_related(
            Prefetch("referents", queryset=Referent.objects.order_by("position", "last_name")),
            Prefetch("territory", queryset=Organisation.objects.order_by("name")),
            Prefetch(
                "competences",
                queryset=Competence.objects.select_related("category").order_by("category__name"),
            ),
        ).order_by("name")
    )
    return render(
        request,
        "web/directory/organisation.html",
        {
            "organisation": organisation,
            "tree": _tree(units),
            "referents": organisation.referents.filter(unit=None).order_by("position", "last_name"),
        },
    )


@login_required
def referent_card(request, pk):
    referent = get_object_or_404(Referent.objects.select_related("organisation", "unit"), pk=pk)
    unit = referent.unit
    return render(
        request,
        "web/directory/referent.html",
        {
            "referent": referent,
            "unit": unit,
            "competences": unit.competences.select_related("category").order_by("category__name")
            if unit
            else [],
        },
    )
