"""actions: one-off shares.

The API and the web ask these (never the engine's helpers directly): who may share, see the shares
and take one back are the engine's rules on the request's case. Messages name nobody the caller did
not name, and never tell whether someone else can see the request (no existence oracle)."""

from django.utils.translation import gettext as _

from engine import actions as engine
from engine.errors import InvalidFields
from procedures.actions import references
from procedures.actions._common import check_text_length


# --- one-off shares --------------------------------------------------------------------------------------
def _share_target(request, user):
    if request.case_id is None:
        raise InvalidFields(
            {"request": _("This request has no case (it was not filed through the platform).")}
        )
    return references.resolve_person(user)


def may_share_request(request, user):
    return request.case_id is not None and engine.may_share_case(request.case, user)


def may_see_request_shares(request, user, *, may_share=None):
    return request.case_id is not None and engine.may_see_shares(request.case, user, may_share=may_share)


def may_unshare_request(request, user, person, *, may_share=None):
    return request.case_id is not None and engine.may_unshare_case(
        request.case, user, person, may_share=may_share
    )


def check_may_see_request_shares(request, user):
    engine.check_may_see_shares(request.case, user)


def request_shared_with(request):
    """The people the request is shared with (engine.actions.case_shared_with on its case)."""
    return engine.case_shared_with(request.case)


def do_share_request(request, user, *, acting_user, reason=""):
    """Show the request, read only, to one person outside its scope (a username, an id or a User):
    engine.actions.do_share_case on its case, allowed to those who may act on it now (its handler,
    dispatcher...; checked first: 403 before any 400). An unknown and an inactive user get the same
    message. Sharing with someone who already sees the request through the scope filter is accepted
    like any share (refusing it would tell whether they see it). Returns the user, and whether the
    share is new (False: they already had it, nothing written). The user is notified (outbox
    ``case.shared``)."""
    if request.case_id is None:
        raise InvalidFields(
            {"request": _("This request has no case (it was not filed through the platform).")}
        )
    engine.check_may_share(request.case, acting_user)
    check_text_length(reason=reason)
    target = _share_target(request, user)
    created = engine.do_share_case(request.case, target, acting_user=acting_user, reason=reason or "")
    return target, created


def do_unshare_request(request, user, *, acting_user, reason=""):
    """Take back the share of the request with ``user`` (a username, an id or a User): from then on it
    is out of their scope again (404). Allowed to those who may act on the request now and, in any
    state (rejected, merged, closed...), to the person who granted that share (engine.actions.
    may_unshare_case); RoleNotAllowed otherwise. An unknown user and a user without a share get the
    same message (to those who may share now; RoleNotAllowed to the others). Returns the user."""
    check_text_length(reason=reason)
    _share_target(request, None)
    target = references.resolve_person(user, among=engine.case_shared_with(request.case))
    if target is None:
        engine.check_may_share(request.case, acting_user)
        raise InvalidFields({"user": _("This request is not shared with this person.")})
    engine.do_unshare_case(request.case, target, acting_user=acting_user, reason=reason or "")
    return target
