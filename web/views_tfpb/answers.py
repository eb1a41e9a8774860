"""The partners' side: their inbox of TFPB reviews awaiting an answer, and the answer itself (through the
approval block's actions: only the partner's GUP referent may answer, once)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from directory.approvals import actions as approvals
from directory.approvals.scope import inbox_of, partner_reviews_visible_to
from engine.errors import EngineError
from tfpb import figures
from tfpb.models import Programme
from tfpb.scope import programmes_visible_to
from web.forms import add_engine_errors
from web.views_requests._common import error_status
from web.views_tfpb.forms import AnswerForm
from web.views_tfpb.pages import detail_context


@login_required
@require_GET
def inbox(request):
    reviews = list(figures.tfpb_reviews(inbox_of(request.user)).order_by("created_at", "pk"))
    programmes = {
        p.pk: p
        for p in figures.with_totals(programmes_visible_to(request.user)).filter(
            pk__in=[r.subject_id for r in reviews]
        )
    }
    rows = [
        (review, programmes[review.subject_id], figures.stage_of(review))
        for review in reviews
        if review.subject_id in programmes
    ]
    return render(request, "web/tfpb/inbox.html", {"rows": rows})


@login_required
@require_POST
def answer_review(request, pk):
    review = figures.tfpb_reviews(partner_reviews_visible_to(request.user)).filter(pk=pk).first()
    if review is None:
        raise Http404
    programme = (
        figures.with_totals(Programme.objects.all())
        .select_related("convention__landlord", "qpv")
        .get(pk=review.subject_id)
    )
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            if form.cleaned_data["decision"] == "approve":
                approvals.do_approve_partner_review(
                    review, acting_user=request.user, comment=form.cleaned_data["comment"]
                )
                message = _("Your approval was recorded.")
            else:
                approvals.do_request_changes_partner_review(
                    review, acting_user=request.user, comment=form.cleaned_data["comment"]
                )
                message = _("Your request for changes was sent to the landlord.")
        except EngineError as error:
            add_engine_errors(form, error)
            messages.error(request, _("Please correct the form."))
            return render(
                request,
                "web/tfpb/programme.html",
                detail_context(request, programme, {"answer": form}),
                status=error_status(error),
            )
        messages.success(request, message)
        return redirect("tfpb-inbox")
    messages.error(request, _("Please correct the form."))
    return render(
        request, "web/tfpb/programme.html", detail_context(request, programme, {"answer": form}), status=400
    )
