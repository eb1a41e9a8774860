"""Request pages: one-off shares (give and take back)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from engine.errors import EngineError, InvalidFields
from procedures import actions
from web.views_requests._common import error_status
from web.views_requests.detail import ShareForm, detail_context, done, rerender_with_error, scoped_request


# --- one-off shares ----------------------------------------------------------------------------------------
@login_required
@require_POST
def request_share(request, reference):
    obj = scoped_request(request.user, reference)
    form = ShareForm(request.POST, prefix="share", acting_user=request.user)
    if not form.is_valid():
        return render(
            request, "web/requests/detail.html", detail_context(request, obj, {"share": form}), status=400
        )
    try:
        user, created = actions.do_share_request(
            obj, form.cleaned_data["user"], acting_user=request.user, reason=form.cleaned_data["reason"]
        )
    except EngineError as error:
        return rerender_with_error(request, obj, "share", form, error)
    if created:
        message = _("%(ref)s is now shared with %(user)s, read only.")
    else:
        message = _("%(ref)s was already shared with %(user)s.")
    return done(request, obj, message % {"ref": obj.reference, "user": user.get_full_name() or user.username})


@login_required
@require_POST
def request_unshare(request, reference, user_id):
    obj = scoped_request(request.user, reference)
    try:
        user = actions.do_unshare_request(obj, user_id, acting_user=request.user)
    except EngineError as error:
        text = " ".join(error.errors.values()) if isinstance(error, InvalidFields) else str(error)
        messages.error(request, text)
        return render(
            request, "web/requests/detail.html", detail_context(request, obj), status=error_status(error)
        )
    return done(
        request,
        obj,
        _("The share of %(ref)s with %(user)s was taken back.")
        % {"ref": obj.reference, "user": user.get_full_name() or user.username},
    )
