"""The DVQ's guide, readable by every signed-in user: the pages (searchable), each page rendered from
its Markdown without raw HTML, and its previous versions."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from steering import guide
from steering.models import GuidePage


@login_required
@require_GET
def guide_list(request):
    query = (request.GET.get("q") or "").strip()[:200]
    pages = guide.search(GuidePage.objects.all(), query).order_by("title")
    return render(request, "web/steering/guide_list.html", {"pages": pages, "q": query})


@login_required
@require_GET
def guide_page(request, slug):
    page = get_object_or_404(GuidePage.objects.select_related("updated_by"), slug=slug)
    context = {
        "page": page,
        "html": guide.render(page.body),
        "versions": page.versions.select_related("author").order_by("-number"),
        "categories": page.categories.all(),
    }
    return render(request, "web/steering/guide_page.html", context)


@login_required
@require_GET
def guide_version(request, slug, number):
    page = get_object_or_404(GuidePage, slug=slug)
    version = page.versions.select_related("author").filter(number=number).first()
    if version is None:
        raise Http404
    return render(
        request,
        "web/steering/guide_version.html",
        {"page": page, "version": version, "html": guide.render(version.body)},
    )
