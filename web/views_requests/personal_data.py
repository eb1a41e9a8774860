"""Request pages: marking a text of the request as holding personal data, or taking the mark back
(accounts.actions.do_mark_personal_data / do_unmark_personal_data); the retention job erases what is
marked once the closed request's retention period ends."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import actions as account_actions
from engine.errors import EngineError, InvalidFields
from web.forms import PersonalDataMarkForm
from web.views_requests._common import error_status
from web.views_requests.detail import detail_context, done, scoped_request


def _refused(request, obj, error):
    if isinstance(error, InvalidFields):
        text = " ".join(str(message) for message in error.errors.values())
    else:
        text = str(error)
    messages.error(request, _("The personal data mark was not recorded: %(why)s") % {"why": text})
    context = detail_context(request, obj)
    return render(request, "web/requests/detail.html", context, status=error_status(error))


@login_required
@require_POST
def request_personal_data_mark(request, reference):
    obj = scoped_request(request.user, reference)
    form = PersonalDataMarkForm(request.POST)
    if not form.is_valid():
        return _refused(request, obj, InvalidFields({k: " ".join(v) for k, v in form.errors.items()}))
    try:
        account_actions.do_mark_personal_data(
            obj,
            form.cleaned_data["text"],
            object_id=form.cleaned_data["object_id"],
            passages=form.passage_list(),
            acting_user=request.user,
        )
    except EngineError as error:
        return _refused(request, obj, error)
    return done(request, obj, _("The text is marked as holding personal data."))


@login_required
@require_POST
def request_personal_data_unmark(request, reference):
    obj = scoped_request(request.user, reference)
    form = PersonalDataMarkForm(request.POST)
    if not form.is_valid():
        return _refused(request, obj, InvalidFields({k: " ".join(v) for k, v in form.errors.items()}))
    try:
        account_actions.do_unmark_personal_data(
            obj, form.cleaned_data["text"], object_id=form.cleaned_data["object_id"], acting_user=request.user
        )
    except EngineError as error:
        return _refused(request, obj, error)
    return done(request, obj, _("The personal data mark was taken back."))
