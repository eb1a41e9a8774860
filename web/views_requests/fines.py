"""The fines form of a request page: the commune's staff record that its police issued a fine after the
request (observation.actions.do_record_fine; no personal data of the offender)."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from engine.errors import EngineError
from observation.actions import do_record_fine, may_record_fine
from observation.models import FineKind
from web.views_requests.detail import detail_context, done, rerender_with_error, scoped_request


class FineForm(forms.Form):
    issued_on = forms.DateField(
        label=gettext_lazy("Issued on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    kind = forms.ChoiceField(label=gettext_lazy("Kind of fine"), choices=FineKind.choices)
    amount_eur = forms.CharField(
        label=gettext_lazy("Amount in euros (optional)"), required=False, max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )  # fmt: skip


def fine_context(request, obj, form=None):
    """What the request page shows of the fines: the list, and the form for those who may record one."""
    return {
        "fines": list(obj.fines.order_by("issued_on", "pk")),
        "can_record_fine": may_record_fine(request.user, obj),
        "fine_form": form or FineForm(),
    }


@login_required
@require_POST
def request_fine(request, reference):
    obj = scoped_request(request.user, reference)
    form = FineForm(request.POST)
    if not form.is_valid():
        return render(
            request, "web/requests/detail.html", detail_context(request, obj, {"fine": form}), status=400
        )
    data = form.cleaned_data
    try:
        do_record_fine(
            obj, issued_on=data["issued_on"], kind=data["kind"], amount_eur=data["amount_eur"] or None,
            acting_user=request.user,
        )  # fmt: skip
    except EngineError as error:
        return rerender_with_error(request, obj, "fine", form, error)
    return done(request, obj, _("The fine was recorded."))
