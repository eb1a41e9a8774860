"""The report of a diagnostic, to share with the partners: a page and the same template as a PDF
(WeasyPrint), with the map as SVG, the table by theme and item, the findings and their photos."""

import base64

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from diagnostics.analysis import analyse, summary

from .analysis import photo_url
from .common import visible_diagnostic_or_404
from .svgmap import render_map


def _context(request, diagnostic, *, embed_photos):
    points, groups = analyse(diagnostic, request.user)
    for point in points:
        photos = list(point.finding.photos.all())
        if embed_photos:
            point.photo_urls = []
            for photo in photos:
                with photo.file.open("rb") as handle:
                    data = base64.b64encode(handle.read()).decode("ascii")
                point.photo_urls.append(f"data:{photo.content_type};base64,{data}")
        else:
            point.photo_urls = [photo_url(diagnostic, photo) for photo in photos]
    return {
        "diagnostic": diagnostic,
        "points": points,
        "groups": groups,
        "summary": summary(points),
        "participants": list(diagnostic.participants.all()),
        "svg_map": render_map(
            diagnostic, points, _("Map of the findings of %(title)s") % {"title": diagnostic.title}
        ),
    }


@login_required
def diagnostic_report(request, pk):
    diagnostic = visible_diagnostic_or_404(request.user, pk)
    return render(request, "web/diagnostics/report.html", _context(request, diagnostic, embed_photos=False))


@login_required
def diagnostic_report_pdf(request, pk):
    from django.contrib.staticfiles import finders
    from weasyprint import CSS, HTML

    diagnostic = visible_diagnostic_or_404(request.user, pk)
    html = render_to_string(
        "web/diagnostics/report_pdf.html", _context(request, diagnostic, embed_photos=True), request=request
    )
    # nothing to fetch: the photos are embedded, the style sheet is read from the static files
    pdf = HTML(string=html).write_pdf(
        stylesheets=[CSS(filename=finders.find("web/diagnostics-report-pdf.css"))]
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="diagnostic-{diagnostic.pk}.pdf"'
    return response
