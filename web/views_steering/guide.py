"""The DVQ's guide, readable by every signed-in user: the pages (searchable), each page rendered from
its Markdown without raw HTML, and its previous versions."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from engine.errors import EngineError
from steering import actions, guide
from steering.models import GuidePage
from web.views_steering.common import add_errors


@login_required
@require_GET
def guide_list(request):
    query = (request.GET.get("q") or "").strip()[:200]
    pages = guide.search(GuidePage.objects.all(), query).order_by("title")
    context = {"pages": pages, "q": query, "can_edit": actions.may_edit_guide(request.user)}
    return render(request, "web/steering/guide_list.html", context)


@login_required
@require_GET
def guide_page(request, slug):
    page = get_object_or_404(GuidePage.objects.select_related("updated_by"), slug=slug)
    context = {
        "page": page,
        "html": guide.render(page.body),
        "versions": page.versions.select_related("author").order_by("-number"),
        "categories": page.categories.all(),
        "can_edit": actions.may_edit_guide(request.user),
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


class GuidePageForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    slug = forms.CharField(
        label=gettext_lazy("Address of the page"),
        max_length=100,
        help_text=gettext_lazy("Lower-case letters, digits and hyphens, e.g. urgent-requests."),
    )
    body = forms.CharField(
        label=gettext_lazy("Text"),
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text=gettext_lazy("Markdown: # for a heading, - for a list, **bold**; no HTML."),
    )
    change_note = forms.CharField(
        label=gettext_lazy("What changed"),
        max_length=300,
        required=False,
        help_text=gettext_lazy("A short note kept with the new version."),
    )


def _guide_form(request, page=None):
    if not actions.may_edit_guide(request.user):
        raise PermissionDenied(_("You may not edit the guide."))
    initial = {"title": page.title, "slug": page.slug, "body": page.body} if page else {}
    form = GuidePageForm(request.POST or None, initial=initial)
    if page is None:
        del form.fields["change_note"]
    if request.method == "POST" and form.is_valid():
        try:
            saved = actions.do_save_guide_page(**form.cleaned_data, page=page, acting_user=request.user)
        except EngineError as exc:
            add_errors(form, exc)
        else:
            messages.success(
                request, _("The page is saved (version %(number)s).") % {"number": saved.version}
            )
            return redirect("guide-page", slug=saved.slug)
    context = {
        "form": form,
        "heading": _("Change the page “%(title)s”") % {"title": page.title} if page else _("New guide page"),
        "submit": _("Save a new version") if page else _("Create the page"),
        "back": reverse("guide-page", args=[page.slug]) if page else reverse("guide-list"),
        "back_label": _("Back to the page") if page else _("The DVQ's operating guide"),
    }
    return render(request, "web/steering/meeting_form.html", context, status=400 if form.is_bound else 200)


@login_required
@require_http_methods(["GET", "POST"])
def guide_new(request):
    return _guide_form(request)


@login_required
@require_http_methods(["GET", "POST"])
def guide_edit(request, slug):
    return _guide_form(request, get_object_or_404(GuidePage, slug=slug))
