"""The recommendations to urban-renewal teams as a PDF document (WeasyPrint, as the other documents of
the product): all those the reader may see, or those addressed to one QPV (``?qpv=code``) or one
project (``?project=name``), grouped by addressee."""

from itertools import groupby

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from web.views_steering.follow_up import _recommendations


def addressee(row):
    return row.project or (row.qpv.name if row.qpv_id else "")


def recommendations_pdf_bytes(rows, *, title, request=None):
    from django.contrib.staticfiles import finders
    from weasyprint import CSS, HTML

    rows = sorted(rows, key=lambda r: (addressee(r).lower(), r.created_at, r.pk))
    groups = [(name, list(items)) for name, items in groupby(rows, key=addressee)]
    html = render_to_string(
        "web/steering/recommendations_pdf.html",
        {"groups": groups, "title": title, "count": len(rows), "made_at": timezone.now()},
        request=request,
    )
    # nothing to fetch: the style sheet is read from the static files
    return HTML(string=html).write_pdf(stylesheets=[CSS(filename=finders.find("web/steering-pdf.css"))])


@login_required
@require_GET
def recommendation_pdf(request):
    from django.utils.translation import gettext as _

    rows = _recommendations(request)
    title = _("Recommendations to urban-renewal teams")
    name = "preconisations"
    qpv, project = request.GET.get("qpv") or "", request.GET.get("project") or ""
    if qpv:
        rows = rows.filter(qpv__code=qpv, project="")
    elif project:
        rows = rows.filter(project=project)
    rows = list(rows[:1000])
    if (qpv or project) and rows:
        title = _("Recommendations to the team of %(addressee)s") % {"addressee": addressee(rows[0])}
        name += "-" + (slugify(addressee(rows[0])) or "projet")
    response = HttpResponse(
        recommendations_pdf_bytes(rows, title=title, request=request), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response
