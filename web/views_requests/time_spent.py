"""The time-spent form of a request page: once the request is done, its handling unit (or an administrator)
records the hours it spent on it, once (procedures.sectors.means.do_record_time_spent). The CLECT figures
sum these hours per actor and per commune."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from engine.errors import EngineError
from procedures.models import InterventionRequest
from procedures.sectors.means import do_record_time_spent, may_record_time_spent
from web.views_requests.detail import detail_context, done, rerender_with_error, scoped_request


class TimeSpentForm(forms.Form):
    # Text, not a number field: the action reads a decimal comma (« 2,5 ») and names the field when refused.
    hours = forms.CharField(
        label=gettext_lazy("Time spent (hours)"), max_length=20,
        help_text=gettext_lazy("The hours your unit spent on this request, e.g. 2,5. Recorded once."),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )  # fmt: skip


def time_spent_context(request, obj, form=None):
    """What the request page shows of the time spent: the hours recorded (and whether by pooled means),
    or the form for those who may record them once the request is done."""
    try:
        recorded = obj.sector_time_spent
    except InterventionRequest.sector_time_spent.RelatedObjectDoesNotExist:
        recorded = None
    can_record = recorded is None and obj.resolved_at is not None and may_record_time_spent(request.user, obj)
    return {
        "time_spent": recorded,
        "can_record_time_spent": can_record,
        "time_spent_form": (form or TimeSpentForm(prefix="time")) if can_record or form else None,
    }


@login_required
@require_POST
def request_time_spent(request, reference):
    obj = scoped_request(request.user, reference)
    form = TimeSpentForm(request.POST, prefix="time")
    if not form.is_valid():
        context = detail_context(request, obj, {"time_spent": form})
        return render(request, "web/requests/detail.html", context, status=400)
    try:
        do_record_time_spent(obj, acting_user=request.user, hours=form.cleaned_data["hours"])
    except EngineError as error:
        return rerender_with_error(request, obj, "time_spent", form, error)
    return done(request, obj, _("The time spent was recorded."))
