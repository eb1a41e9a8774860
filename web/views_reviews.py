"""The annual reviews (bilan annuel): list and generation button, the review page (its stored figures
and charts), the project lead's section, publishing and correcting, and the PDF and XLSX downloads.
Every write goes through observation.actions; the page decides no rule."""

import tempfile

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from engine.errors import InvalidFields, RoleNotAllowed
from observation import charts, conf, exports
from observation.actions import (
    do_correct_annual_review,
    do_edit_annual_review,
    do_publish_annual_review,
    do_request_review_run,
    may_write_annual_review,
)
from observation.models import ReviewRun
from observation.scope import reviews_visible_to


class RunForm(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("Year"), min_value=2000, max_value=2100)


class EditForm(forms.Form):
    introduction = forms.CharField(label=gettext_lazy("Introduction"), widget=forms.Textarea, required=False)
    highlights = forms.CharField(label=gettext_lazy("Highlights"), widget=forms.Textarea, required=False)


class CorrectForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason for the correction"), widget=forms.Textarea)


def _form_errors(form, error):
    for field, message in error.errors.items():
        form.add_error(field if field in form.fields else None, message)


@login_required
def review_list(request):
    user = request.user
    form = RunForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not may_write_annual_review(user):
            raise Http404
        if form.is_valid():
            try:
                _run, created = do_request_review_run(form.cleaned_data["year"], acting_user=user)
            except InvalidFields as error:
                _form_errors(form, error)
            else:
                messages.success(
                    request,
                    _("The reviews are being generated.")
                    if created
                    else _("The reviews of this year are already being generated: here is the progress."),
                )
                return redirect("review-list")
        status = 400
    context = {
        "reviews": reviews_visible_to(user).order_by("-year", "commune__name", "-version")[:500],
        "runs": ReviewRun.objects.order_by("-requested_at")[:5] if may_write_annual_review(user) else [],
        "form": form,
        "may_write": may_write_annual_review(user),
    }
    return render(request, "web/observation/review_list.html", context, status=status)


def _review_or_404(user, pk):
    return get_object_or_404(reviews_visible_to(user), pk=pk)


def review_context(review):
    figures = dict(review.figures)
    figures["chart_uris"] = {name: charts.data_uri(svg) for name, svg in review.charts.items()}
    figures["min_cell"] = conf.get("GUP_OBSERVATION_MIN_CELL")
    return {"review": review, "figures": figures, **figures}


@login_required
@require_GET
def review_detail(request, pk):
    review = _review_or_404(request.user, pk)
    context = review_context(review)
    context["may_write"] = may_write_annual_review(request.user)
    context["edit_form"] = EditForm(
        initial={"introduction": review.introduction, "highlights": review.highlights}
    )
    context["correct_form"] = CorrectForm()
    return render(request, "web/observation/review_detail.html", context)


def _write(request, pk, form_class, call):
    review = _review_or_404(request.user, pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            result = call(review, form.cleaned_data)
        except RoleNotAllowed:
            raise Http404 from None
        except InvalidFields as error:
            _form_errors(form, error)
        else:
            return redirect("review-detail", pk=result.pk)
    context = review_context(review)
    context.update(may_write=True, edit_form=EditForm(), correct_form=CorrectForm())
    context["edit_form" if form_class is EditForm else "correct_form"] = form
    if form_class is not EditForm and form_class is not CorrectForm:
        context["publish_errors"] = form.non_field_errors() or [
            e for errors in form.errors.values() for e in errors
        ]
    return render(request, "web/observation/review_detail.html", context, status=400)


class PublishForm(forms.Form):
    pass


@login_required
@require_POST
def review_edit(request, pk):
    return _write(
        request, pk, EditForm,
        lambda review, data: do_edit_annual_review(review, acting_user=request.user, **data),
    )  # fmt: skip


@login_required
@require_POST
def review_publish(request, pk):
    return _write(
        request,
        pk,
        PublishForm,
        lambda review, data: do_publish_annual_review(review, acting_user=request.user),
    )


@login_required
@require_POST
def review_correct(request, pk):
    return _write(
        request, pk, CorrectForm,
        lambda review, data: do_correct_annual_review(
            review, acting_user=request.user, reason=data["reason"]
        ),
    )  # fmt: skip


def review_pdf_bytes(review):
    from weasyprint import CSS, HTML

    html = render_to_string("web/observation/review_pdf.html", review_context(review))
    css = render_to_string("web/observation/review_pdf.css")
    return HTML(string=html).write_pdf(stylesheets=[CSS(string=css)])


def _name(review, fmt):
    where = review.commune.name if review.commune else _("community")
    return exports.file_name(_("annual review"), review.year, where, f"v{review.version}", fmt=fmt)


@login_required
@require_GET
def review_pdf(request, pk):
    review = _review_or_404(request.user, pk)
    response = HttpResponse(review_pdf_bytes(review), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_name(review, "pdf")}"'
    return response


def review_sheets(review):
    return list(exports.dashboard_tables(review.figures).values())


@login_required
@require_GET
def review_xlsx(request, pk):
    review = _review_or_404(request.user, pk)
    target = tempfile.TemporaryFile()  # noqa: SIM115 - closed by FileResponse once sent
    exports.write_xlsx(target, review_sheets(review))
    target.seek(0)
    response = FileResponse(target, content_type=exports.FORMATS["xlsx"])
    response["Content-Disposition"] = f'attachment; filename="{_name(review, "xlsx")}"'
    return response
