"""actions: redirect, duplicates, followers."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from engine import actions as engine
from engine.errors import InvalidFields, InvalidTransition
from procedures import messages
from procedures.actions import references
from procedures.actions._common import (
    _contact_of,
    _lock,
    _message,
    check_may_fire_on,
    check_text_length,
    commune_language,
    handler_key,
)
from procedures.actions.filing import check_filer, route
from procedures.models import (
    InterventionRequest,
    MessageKind,
    RequestFollower,
)
from procedures.sectors.filing import apply_sector


# --- redirect, duplicates, followers ----------------------------------------------------------------------
def do_redirect_request(request, *, acting_user, reason, target=None, turn_to="", expected_revision=None):
    """Hand the request to another manager: ``target`` (a Unit or an Organisation, a unit's id, a
    unit's code or an organisation's code, resolved in the acting user's scope: see
    procedures.actions.references.resolve_redirect_target) or, when empty, the unit the routing
    resolves now (an active sub-sector procedure's split first, as at filing; the request keeps the
    sector version that routed it at filing, its procedure and deadlines). The new handler acts on it with
    the same procedure. Who may redirect (403) and the
    revision (409) are checked before the target and the reason (400)."""
    check_may_fire_on(request, "redirect", acting_user, expected_revision)
    check_text_length(reason=reason, turn_to=turn_to)
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidFields({"reason": _("Say why the request is redirected.")})
    if not isinstance(turn_to, str):
        raise InvalidFields({"turn_to": _("must be text")})
    unit, organisation = references.resolve_redirect_target(target, acting_user)
    if organisation is None:  # the routing now, the active sub-sector procedures first (as at filing)
        routing = apply_sector(
            route(request.lon, request.lat, request.category), request.lon, request.lat, request.category
        )
        unit, organisation = routing.handler_unit, routing.handler_organisation
    if organisation is None:
        raise InvalidFields({"target": _("The routing found no other manager; choose one.")})
    same = (
        unit.pk == request.handler_unit_id
        if unit is not None
        else not request.handler_unit_id and organisation.pk == request.handler_organisation_id
    )
    if same:
        raise InvalidFields({"target": _("The request is already with this manager; choose another one.")})
    target_name = unit.name if unit else organisation.name
    with transaction.atomic():
        request = _lock(request)
        engine.do_fire_transition(
            request.case, "redirect", acting_user=acting_user,
            fields={"target": target_name, "turn_to": turn_to or ""}, reason=reason,
            expected_revision=expected_revision,
        )  # fmt: skip
        request.handler_unit, request.handler_organisation, request.handler_agent = unit, organisation, None
        request.closed_at = None
        request.save(
            update_fields=["handler_unit", "handler_organisation", "handler_agent", "closed_at", "updated_at"]
        )
        engine.do_assign_role(
            request.case, "handler", [handler_key(request)], acting_user=None, reason=reason
        )
        with commune_language():
            body = messages.redirected(request, target_name, reason, turn_to or _contact_of(request))
            _message(request, MessageKind.REDIRECTED, body, acting_user)
    return request


def do_merge_duplicate(request, master, *, acting_user, reason="", expected_revision=None):
    """Mark ``request`` as a duplicate of ``master`` (an InterventionRequest or its reference, resolved
    in the acting user's scope: a request they cannot see reads as unknown, nothing written): its
    requester (and followers) follow the master and receive the master's messages from now on."""
    check_may_fire_on(request, "mark_duplicate", acting_user, expected_revision)
    check_text_length(reason=reason)
    master = references.resolve_request_reference(
        master.reference if isinstance(master, InterventionRequest) else master, acting_user, field="master"
    )
    with transaction.atomic():
        request = _lock(request)
        engine.do_fire_transition(
            request.case, "mark_duplicate", acting_user=acting_user, fields={"master": master.reference},
            reason=reason, expected_revision=expected_revision,
        )  # fmt: skip
        request.duplicate_of = master
        request.closed_at = timezone.now()
        request.save(update_fields=["duplicate_of", "closed_at", "updated_at"])
        organisations = {request.requester_organisation_id}
        organisations.update(request.followers.values_list("organisation_id", flat=True))
        organisations.discard(master.requester_organisation_id)
        existing = set(master.followers.values_list("organisation_id", flat=True))
        RequestFollower.objects.bulk_create(
            [
                RequestFollower(request=master, organisation_id=org_id, user=acting_user, via_merge=True)
                for org_id in sorted(organisations - existing)
            ]
        )
        with commune_language():
            _message(request, MessageKind.MERGED, messages.merged(request, master), acting_user)
    return request


def do_follow_request(request, *, acting_user):
    """The user's organisation (a commune) follows an existing request instead of filing a new one."""
    check_filer(acting_user)
    if request.closed_at is not None:
        raise InvalidTransition(_("This request is closed: file a new one."))
    if request.requester_organisation_id == acting_user.organisation_id:
        raise InvalidFields({"request": _("Your organisation filed this request: it already follows it.")})
    follower, _created = RequestFollower.objects.get_or_create(
        request=request, organisation_id=acting_user.organisation_id, defaults={"user": acting_user}
    )
    return follower
