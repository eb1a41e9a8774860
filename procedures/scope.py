"""THE scope filter for intervention requests: every list and detail goes through it.

Plain joins on the request's own columns, never per-case grants:
- administrators (role or superuser) see every request;
- a commune's users (or any requesting organisation) see the requests in their commune, those their
  organisation filed, and those it follows;
- handlers see what their unit handles or dispatches (a unit's members include those of the units
  below it, as in the engine's principal keys; a unit also sees what its sub-units handle), and what
  is handed to their organisation without a unit;
- DVQ officers see every request in a QPV, and every request with an alert;
- every user also sees the requests whose case was shared with them one by one (django-guardian's
  ``view_shared_case`` object permission on the case, engine.actions.do_share_case): the one exception
  to "no per-case grants", a read-only access that gives no role (a subquery, so lists keep a
  constant number of queries).
A request out of scope does not exist for the user (404).
"""

from django.db.models import Exists, OuterRef, Q

from directory.models import OrganisationKind, Unit
from directory.roles import Role
from engine.models import SHARE_PERMISSION, Alert, CaseUserObjectPermission
from procedures.models import InterventionRequest, RequestFollower


def _related_units(unit):
    """The unit, the units above it (as in the engine's principal keys) and every unit below it."""
    ids = {unit.pk, *(ancestor.pk for ancestor in unit.ancestors())}
    frontier = [unit.pk]
    while frontier:
        children = list(Unit.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        frontier = [pk for pk in children if pk not in ids]
        ids.update(frontier)
    return ids


def is_administrator(user):
    return bool(user.is_superuser or user.has_role(Role.ADMINISTRATOR))


def scope_q(user):
    """The Q that selects the requests ``user`` may see (None: all of them)."""
    if is_administrator(user):
        return None
    # not correlated: the database reads the user's few shares once (a hashed subplan), not per row
    shared = CaseUserObjectPermission.objects.filter(user_id=user.pk, permission__codename=SHARE_PERMISSION)
    q = Q(case_id__in=shared.values("content_object_id"))
    org_id = user.organisation_id
    if org_id:
        followed = RequestFollower.objects.filter(request=OuterRef("pk"), organisation_id=org_id)
        q |= Q(requester_organisation_id=org_id) | Exists(followed)
        if user.organisation.kind == OrganisationKind.COMMUNE:
            q |= Q(commune_id=org_id)
        q |= Q(handler_organisation_id=org_id, handler_unit__isnull=True)
    if user.unit_id:
        units = _related_units(user.unit)
        q |= Q(handler_unit_id__in=units) | Q(dispatcher_unit_id__in=units)
    if user.has_role(Role.DVQ_OFFICER):
        q |= Q(in_qpv=True) | Exists(Alert.objects.filter(case_id=OuterRef("case_id")))
    return q


def requests_visible_to(user, queryset=None):
    queryset = InterventionRequest.objects.all() if queryset is None else queryset
    if user is None or not user.is_authenticated or not user.is_active:
        return queryset.none()
    q = scope_q(user)
    return queryset if q is None else queryset.filter(q)


def alerts_visible_to(user):
    """The alerts on the cases of the requests ``user`` may see. The urgency check is the DVQ's exchange
    with the commune; the other alerts (a deadline missed) are the services' own business, so the
    requester side (those who may not read the DVQ's decision notes: communes) sees the urgency checks
    only, as on the request page."""
    from engine.models import Alert
    from procedures.actions import URGENCY_CHECK, may_read_decision_notes

    alerts = Alert.objects.filter(case_id__in=requests_visible_to(user).values("case_id"))
    if not may_read_decision_notes(user):
        alerts = alerts.filter(code=URGENCY_CHECK)
    return alerts
