"""actions: routing."""

import math
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from directory import geo
from directory.models import Organisation, OrganisationKind, Unit
from engine import actions as engine
from engine.errors import InvalidFields, RoleNotAllowed
from procedures import catalogue_cache, engine_hooks, messages, routing_cache
from procedures.actions._common import (
    FILING_ROLES,
    MAX_DESCRIPTION,
    PROCEDURE,
    URGENCY_CHECK,
    _errors_from,
    _message,
    commune_language,
    role_holders_for,
)
from procedures.attributes import validate_attributes
from procedures.models import (
    Category,
    InterventionRequest,
    MessageKind,
    Urgency,
    UrgencyCriterion,
)
from procedures.references import allocate_reference
from procedures.search import search_text_of
from procedures.sectors.filing import apply_sector
from procedures.uploads import check_uploads


# --- routing ---------------------------------------------------------------------------------------------
@dataclass
class Routing:
    commune: Organisation
    in_qpv: bool
    handler_unit: Unit | None
    handler_organisation: Organisation | None
    dispatcher_unit: Unit | None
    to_qualify: bool
    explanation: str
    decision: object = None  # directory.routing.Decision: the commune's plain explanation is built from it
    sector: object = None  # procedures.sectors.routing.SectorDecision inside an active sector procedure
    case_version_id: int | None = None  # the sector procedure's intervention procedure version


def route(lon, lat, category, at=None):
    """Where the point is and who must act, from the directory's resolver; InvalidFields if it cannot say."""
    from directory import routing

    try:
        decision = routing.resolve(lon, lat, category, at=at)
    except routing.OutsideTerritory as exc:
        raise InvalidFields({"location": str(exc)}) from None
    except routing.UnknownCategory as exc:
        raise InvalidFields({"category": str(exc)}) from None
    except routing.RoutingError as exc:
        raise InvalidFields({"location": str(exc)}) from None
    # the rows the resolver named, from the per-process cache keyed on the index's stamp
    unit = routing_cache.unit(decision.handler.id) if decision.handler else None
    commune = routing_cache.organisation(decision.commune.id)
    # Direct handling (routing rule 4, e.g. waste to the waste direction): the handler acts alone, no CTC
    # dispatches it (docs/routing.md, "Direct handling").
    direct = routing.RULES.get(decision.decided_by) == "direct_handling"
    deciding = [step for step in decision.explanation if step.decided]
    explanation = "; ".join(step.detail for step in deciding) or "; ".join(
        step.detail for step in decision.explanation
    )
    return Routing(
        commune=commune,
        in_qpv=bool(decision.qpv),
        handler_unit=unit,
        handler_organisation=unit.organisation if unit else None,
        dispatcher_unit=None if direct else routing_cache.dispatcher_for(commune),
        to_qualify=bool(decision.to_qualify),
        explanation=explanation,
        decision=decision,
    )


# --- filing ----------------------------------------------------------------------------------------------
def _check_point(lon, lat):
    try:
        lon, lat = float(lon), float(lat)
    except (TypeError, ValueError):
        raise InvalidFields({"location": _("Longitude and latitude must be numbers.")}) from None
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise InvalidFields({"location": _("Longitude and latitude must be WGS84 degrees.")})
    return lon, lat


def _category(category, errors):
    """(category, its attribute definitions, its active urgency criteria by code), from the catalogue cache
    of this filing; (None, None, None) when it is unknown or inactive. A Category given is kept (its
    definitions and criteria still come from the cache)."""
    code = category.code if isinstance(category, Category) else str(category or "")
    found, definitions, criteria = catalogue_cache.category(code) or (None, None, None)
    if isinstance(category, Category) and found is not None:
        found = category if found.pk == category.pk else None
    if found is None or not found.is_active:
        errors["category"] = _("Unknown or inactive category.")
        return None, None, None
    return found, definitions, criteria


def _criteria(category, urgency, codes, errors, active=None):
    codes = [c.code if isinstance(c, UrgencyCriterion) else str(c) for c in (codes or ())]
    if not codes:
        return []
    if urgency != Urgency.URGENT:
        errors["urgency_criteria"] = _("Urgency criteria are only ticked on an urgent request.")
        return []
    if active is None:
        active = {c.code: c for c in UrgencyCriterion.objects.filter(category=category, is_active=True)}
    found = {code: active[code] for code in codes if code in active}
    unknown = [code for code in codes if code not in found]
    if unknown:
        errors["urgency_criteria"] = _("Not a criterion of this category: %(codes)s.") % {
            "codes": ", ".join(unknown)
        }
    return list(found.values())


def check_filer(acting_user):
    if acting_user is None or not acting_user.is_authenticated or not acting_user.organisation_id:
        raise RoleNotAllowed(["requester"], _("Only a user acting for an organisation can file a request."))
    if not any(acting_user.has_role(role) for role in FILING_ROLES):
        raise RoleNotAllowed(["requester"], _("Only requesters and GUP referents can file a request."))


def do_file_request(
    *,
    acting_user,
    category,
    description,
    lon,
    lat,
    address="",
    urgency=Urgency.NORMAL,
    urgency_criteria=(),
    attributes=None,
    files=(),
):
    """File an intervention request and open its case; returns the InterventionRequest."""
    check_filer(acting_user)
    with catalogue_cache.filing():  # the catalogue rows read below: from this process's cache
        return _file_request(
            acting_user=acting_user,
            category=category,
            description=description,
            lon=lon,
            lat=lat,
            address=address,
            urgency=urgency,
            urgency_criteria=urgency_criteria,
            attributes=attributes,
            files=files,
        )


def _file_request(
    *, acting_user, category, description, lon, lat, address, urgency, urgency_criteria, attributes, files
):
    errors = {}
    category, definitions, active_criteria = _category(category, errors)
    description = (description or "").strip() if isinstance(description, str) else ""
    if not description:
        errors["description"] = _("Describe the dysfunction.")
    elif len(description) > MAX_DESCRIPTION:
        errors["description"] = _("At most %(n)d characters.") % {"n": MAX_DESCRIPTION}
    address = (address or "").strip()
    if len(address) > 300:
        errors["address"] = _("At most %(n)d characters.") % {"n": 300}
    if urgency not in Urgency.values:
        errors["urgency"] = _("Choose normal or urgent.")
    try:
        lon, lat = _check_point(lon, lat)
    except InvalidFields as exc:
        errors.update(exc.errors)
    criteria, cleaned_attributes = [], {}
    if category is not None:
        criteria = _criteria(category, urgency, urgency_criteria, errors, active_criteria)
        try:
            cleaned_attributes = validate_attributes(category, attributes, definitions=definitions)
        except ValidationError as exc:
            errors.update(_errors_from(exc))
    files = list(files or ())
    try:
        check_uploads(files)
    except ValidationError as exc:
        errors.update(_errors_from(exc))
    routing = None
    if category is not None and "location" not in errors:
        try:
            routing = apply_sector(route(lon, lat, category), lon, lat, category)
        except InvalidFields as exc:
            errors.update(exc.errors)
    if routing is not None:
        organisation = acting_user.organisation
        if organisation.kind == OrganisationKind.COMMUNE and routing.commune.pk != organisation.pk:
            errors["location"] = _(
                "This point is in %(commune)s: a commune files requests on its own territory."
            ) % {"commune": routing.commune.name}
    if errors:
        raise InvalidFields(errors)

    now = timezone.now()
    x, y = geo.point_lambert93(lon, lat)
    justified = None if urgency == Urgency.NORMAL else bool(criteria)
    with transaction.atomic():
        # 1. the request, built in memory with its reference: the guards and resolvers of the case's
        #    opening (service levels) read it through engine_hooks.filing, without a query
        request = InterventionRequest(
            reference=allocate_reference(timezone.localdate(now).year),
            category=category,
            category_group_id=category.group_id,
            description=description,
            search_text=search_text_of(description, address),
            lon=lon,
            lat=lat,
            x_l93=x,
            y_l93=y,
            address=address,
            commune=routing.commune,
            in_qpv=routing.in_qpv,
            urgency=urgency,
            urgency_requested=urgency,
            urgency_justified=justified,
            attributes=cleaned_attributes,
            requester_organisation=acting_user.organisation,
            requester=acting_user,
            dispatcher_unit=routing.dispatcher_unit,
            handler_unit=routing.handler_unit,
            handler_organisation=routing.handler_organisation,
            to_qualify=routing.to_qualify,
            routing_explanation=routing.explanation,
            sector_version_id=routing.sector.version_id if routing.sector else None,
            created_at=now,
        )
        # 2. its case (role holders, deadlines, audit entry, outbox event)
        with engine_hooks.filing(request):
            case = engine.do_open_case(
                PROCEDURE,
                acting_user=acting_user,
                role_holders=role_holders_for(request),
                data={"category": category.code, "urgency": urgency},
                reference=request.reference,
                version_id=routing.case_version_id,
                version=None if routing.case_version_id else catalogue_cache.published_version(PROCEDURE),
            )
        # 3. the request, inserted with its case
        request.case = case
        request.save(force_insert=True)
        case._intervention_request = request
        request.routing_decision = routing.decision  # for the caller's answer (no second routing)
        if criteria:
            request.urgency_criteria.set(criteria)
        for upload in files:  # checked above; the engine's check (the same one) records their type
            engine.do_attach(case, acting_user=acting_user, file=upload)
        with commune_language():
            written = [_message(request, MessageKind.FILED, messages.filed(request, routing), acting_user)]
            reason = _("Marked urgent without any urgency criterion of the category.")
        if urgency == Urgency.URGENT and not criteria:
            alert = engine.do_raise_alert(
                case, URGENCY_CHECK, acting_user=None, to_role="requester", reason=reason
            )
            written.append(_urgency_check_message(request, alert, None))
    # what was just written, for the caller's answer (the API's 201 reads no row back)
    request.filed_messages, request.filed_criteria = written, criteria
    return request


def _urgency_check_message(request, alert, author):
    with commune_language():
        return _write_urgency_check_message(request, alert, author)


def _write_urgency_check_message(request, alert, author):
    return _message(request, MessageKind.URGENCY, messages.urgency_check(request, alert), author)
