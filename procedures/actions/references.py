"""actions: the objects a transition or an action names (a master request, a redirect target, a unit,
an agent, a person to share with), resolved through the acting user's scope.

Every resolver takes what the API or a form received (an instance, an id, a code, a reference, a
username) and the acting user, and answers the object or raises InvalidFields on the field. An object
out of the acting user's scope reads exactly like an unknown one: same error, same message, nothing
written. API and web call the actions, which call these: both give the same answer.

Scopes: requests, THE scope filter (procedures.scope.requests_visible_to); units and organisations,
the directory, public to every active user (a commune is never a manager, so never a redirect
target); agents, those who may be put in charge of the request (``put_in_charge_candidates``);
people to share with, every active user (an inactive or unknown one is "unknown").
"""

from django.db.models import Q
from django.utils.translation import gettext as _

from directory.models import Organisation, OrganisationKind, Unit, User
from directory.roles import Role
from engine.errors import InvalidFields

AGENT_ROLES = (Role.AGENT, Role.SUPERVISOR)


def _active(user):
    return user is None or (getattr(user, "is_authenticated", False) and user.is_active)


def _id_or_text(value):
    """(id, None), (None, text) or (None, None) for a value that is neither (a list, a dict, a bool...)."""
    if isinstance(value, bool):
        return None, None
    if isinstance(value, int):
        return value, None
    if isinstance(value, str):
        text = value.strip()
        return (int(text), None) if text.isdigit() else (None, text)
    return None, None


# --- requests --------------------------------------------------------------------------------------------
def resolve_request_reference(value, acting_user, *, field="master"):
    """The request with this reference among those ``acting_user`` may see (None: the system, all)."""
    from procedures.models import InterventionRequest
    from procedures.scope import requests_visible_to

    if not isinstance(value, str):
        raise InvalidFields({field: _("must be text")})
    reference = value.strip()
    queryset = InterventionRequest.objects.all()
    if acting_user is not None:
        queryset = requests_visible_to(acting_user, queryset)
    found = queryset.filter(reference=reference).first() if reference else None
    if found is None:
        raise InvalidFields({field: _("No request has this reference.")})
    return found


# --- units and organisations -----------------------------------------------------------------------------
def units_visible_to(user):
    """The units ``user`` may name: the directory is public to every active user."""
    return Unit.objects.select_related("organisation") if _active(user) else Unit.objects.none()


def manager_organisations_visible_to(user):
    """The organisations ``user`` may hand a request to without a unit: any but a commune."""
    if not _active(user):
        return Organisation.objects.none()
    return Organisation.objects.exclude(kind=OrganisationKind.COMMUNE)


def resolve_unit(value, acting_user, *, field="handler_unit"):
    """A unit given as a Unit, its id or its code, among those ``acting_user`` may name."""
    units = units_visible_to(acting_user)
    if isinstance(value, Unit):
        pk, code = value.pk, None
    else:
        pk, code = _id_or_text(value)
        if pk is None and not code:
            raise InvalidFields({field: _("Give the id or the code of a unit.")})
    found = units.filter(pk=pk).first() if pk is not None else units.filter(code=code).first()
    if found is None:
        raise InvalidFields({field: _("Unknown unit.")})
    return found


def resolve_redirect_target(value, acting_user, *, field="target"):
    """Where a request is redirected: (unit, organisation), or (None, None) for "the unit the routing
    finds now" (no value). A Unit or an Organisation, a unit's id, a unit's code or an organisation's
    code (a unit first), among those ``acting_user`` may name."""
    if value is None or value == "":
        return None, None
    units = units_visible_to(acting_user)
    organisations = manager_organisations_visible_to(acting_user)
    if isinstance(value, Unit):
        unit = units.filter(pk=value.pk).first()
        if unit is not None:
            return unit, unit.organisation
    elif isinstance(value, Organisation):
        organisation = organisations.filter(pk=value.pk).first()
        if organisation is not None:
            return None, organisation
    else:
        pk, code = _id_or_text(value)
        if pk is None and not code:
            raise InvalidFields({field: _("Choose a unit or an organisation.")})
        unit = units.filter(pk=pk).first() if pk is not None else units.filter(code=code).first()
        if unit is not None:
            return unit, unit.organisation
        organisation = organisations.filter(code=code).first() if code else None
        if organisation is not None:
            return None, organisation
    raise InvalidFields({field: _("No unit or organisation has this id or code.")})


# --- agents in charge ------------------------------------------------------------------------------------
def unit_and_below(unit):
    """The ids of the unit and of every unit below it."""
    ids, frontier = {unit.pk}, [unit.pk]
    while frontier:
        frontier = [
            pk
            for pk in Unit.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)
            if pk not in ids
        ]
        ids.update(frontier)
    return ids


def agents_of(unit):
    """Active agents and supervisors of ``unit`` or of a unit below it (None: nobody): THE list of who
    may be put in charge of a request handled by ``unit``, for qualify, assign and the forms."""
    if unit is None:
        return User.objects.none()
    return (
        User.objects.filter(
            is_active=True, unit_id__in=unit_and_below(unit), role_assignments__role__in=AGENT_ROLES
        )
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def put_in_charge_candidates(request, unit=None):
    """Who may be put in charge of the request: the agents of its handler unit (or of ``unit``, the
    handler unit it is about to have) and of the units below it."""
    return agents_of(unit if unit is not None else request.handler_unit)


def may_put_in_charge(request, agent, unit=None):
    """Whether ``agent`` may be put in charge of the request (see put_in_charge_candidates)."""
    return agent is not None and put_in_charge_candidates(request, unit).filter(pk=agent.pk).exists()


def resolve_agent_in_charge(request, value, *, field="agent", unit=None):
    """The agent given (a User, an id or a username) among put_in_charge_candidates. Anyone else, known
    or not, reads the same (the message names only the handler unit, which the caller sees)."""
    unit = unit if unit is not None else request.handler_unit
    if unit is None:
        raise InvalidFields({field: _("The request has no handler unit: set the unit that must act first.")})
    candidates = put_in_charge_candidates(request, unit)
    if isinstance(value, User):
        pk, username = value.pk, None
    else:
        pk, username = _id_or_text(value)
    found = None
    if pk is not None:
        found = candidates.filter(pk=pk).first()
    elif username:
        found = candidates.filter(username=username).first()
    if found is None:
        raise InvalidFields(
            {field: _("Choose an active agent of %(unit)s or of a unit below it.") % {"unit": unit.name}}
        )
    return found


# --- people to share with --------------------------------------------------------------------------------
def resolve_person(value, *, among=None):
    """An active user given as a User, an id or a username; None for anyone else (unknown or inactive:
    the same answer). ``among``: a queryset of users to look in instead (active or not), such as the
    people a request is shared with."""
    users = User.objects.filter(is_active=True) if among is None else among
    if isinstance(value, User):
        pk, username = value.pk, None
    else:
        pk, username = _id_or_text(value)
        if pk is None and not username:
            return None
    query = Q(pk=pk) if pk is not None else Q(username=username)
    return users.filter(query).first()
