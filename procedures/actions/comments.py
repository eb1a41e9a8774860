"""actions: comments and attachments on a request (the engine's do_comment / do_attach on its case).

One rule says who reads and who writes internal comments, for the API, the web and the action:
the services working on the request, the DVQ and administrators, never the requester side (the
requesting organisation, other communes following it, people it was shared with). The requester side
asking for an internal comment is refused (RoleNotAllowed, 403), never stored as a public one nor
as an internal one."""

from django.utils.translation import gettext as _

from engine import actions as engine
from engine.errors import InvalidFields, RoleNotAllowed


def _no_case():
    return InvalidFields({"request": _("This request has no case (it was not filed through the platform).")})


def may_read_internal_comments(request, user):
    """Whether ``user`` reads the request's internal comments: the system (None), administrators, and
    anyone holding a role on its case other than the requester's who does not act for the requesting
    organisation."""
    from engine.queries import roles_of
    from procedures.scope import is_administrator

    if user is None:
        return True
    if request.case_id is None or not getattr(user, "is_authenticated", False):
        return False
    if is_administrator(user):
        return True
    if user.organisation_id and user.organisation_id == request.requester_organisation_id:
        return False
    return bool(roles_of(user, request.case) - {"requester"})


def may_read_decision_notes(user):
    """Whether ``user`` reads the DVQ's decision notes on urgency checks (why it upheld or dismissed its
    alert): internal to the services, like internal comments. The system, administrators and the
    staff of the community, landlords and contractors read them; communes (requester or follower)
    and anonymous callers never do: they are told the outcome only."""
    from directory.models import OrganisationKind
    from procedures.scope import is_administrator

    if user is None:
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    if is_administrator(user):
        return True
    organisation = user.organisation if user.organisation_id else None
    return organisation is not None and organisation.kind != OrganisationKind.COMMUNE


def may_comment_internally(request, user):
    """Whether ``user`` may write an internal comment on the request: who may read them."""
    return may_read_internal_comments(request, user)


def comments_for(request, user, queryset):
    """The request's comments ``user`` may read, from ``queryset`` (the internal ones filtered out for
    those who may not read them)."""
    return queryset if may_read_internal_comments(request, user) else queryset.filter(internal=False)


def do_comment_request(request, *, acting_user, body, internal=False):
    """Comment on the request (engine.actions.do_comment: any role holder of its case). ``internal``
    True is refused (RoleNotAllowed) to whoever may not comment internally (may_comment_internally)."""
    if request.case_id is None:
        raise _no_case()
    if not isinstance(internal, bool):
        raise InvalidFields({"internal": _("must be true or false")})
    if internal and not may_comment_internally(request, acting_user):
        raise RoleNotAllowed(
            ["dispatcher", "handler", "supervisor", "dvq"],
            _("Only the services handling this request may write internal comments."),
        )
    return engine.do_comment(request.case, acting_user=acting_user, body=body, internal=internal)


def do_attach_to_request(request, *, acting_user, file, description=""):
    """Attach a file to the request (engine.actions.do_attach on its case)."""
    if request.case_id is None:
        raise _no_case()
    return engine.do_attach(request.case, acting_user=acting_user, file=file, description=description)
