"""actions: one-off shares."""

from django.utils.translation import gettext as _

from engine import actions as engine
from engine.errors import InvalidFields
from procedures.actions._common import check_text_length
from procedures.actions.agents import resolve_agent


# --- one-off shares --------------------------------------------------------------------------------------
def _share_target(request, user):
    if request.case_id is None:
        raise InvalidFields(
            {"request": _("This request has no case (it was not filed through the platform).")}
        )
    return resolve_agent(user)


def do_share_request(request, user, *, acting_user, reason=""):
    """Show the request, read only, to one person outside its scope (a username, an id or a User):
    engine.actions.do_share_case on its case, allowed to those who may act on it now (its handler,
    dispatcher...). Refuses a user who already sees it through the scope filter. Returns the user,
    and whether the share is new (False: they already had it, nothing written). The user is notified
    (outbox ``case.shared``)."""
    from procedures.scope import requests_visible_to

    check_text_length(reason=reason)
    target = _share_target(request, user)
    engine.check_may_share(request.case, acting_user)
    if (
        target is not None
        and target.is_active
        and not engine.case_shared_with(request.case).filter(pk=target.pk).exists()
        and requests_visible_to(target).filter(pk=request.pk).exists()
        and (acting_user is None or target.pk != acting_user.pk)
    ):
        raise InvalidFields(
            {"user": _("%(user)s already sees this request: there is nothing to share.")
             % {"user": target.username}}
        )  # fmt: skip
    created = engine.do_share_case(request.case, target, acting_user=acting_user, reason=reason or "")
    return target, created


def do_unshare_request(request, user, *, acting_user, reason=""):
    """Take back the share of the request with ``user`` (a username, an id or a User): from then on it
    is out of their scope again (404). Allowed to those who may act on the request now and, in any
    state (rejected, merged, closed...), to the person who granted that share (engine.actions.
    may_unshare_case); RoleNotAllowed otherwise. Returns the user."""
    check_text_length(reason=reason)
    target = _share_target(request, user)
    engine.do_unshare_case(request.case, target, acting_user=acting_user, reason=reason or "")
    return target
