"""The action layer of intervention requests: every write the API, the UI, the admin and commands make.

Each ``do_*`` function validates everything first (clear errors naming the fields, nothing saved),
then runs in one transaction: it changes the domain rows and calls the engine's actions (which check
the actor's roles, write the audit trail and queue the outbox events delivered after commit). The
commune's messages are written in the same transaction.

Errors are the engine's (mapped by the API): ``InvalidFields`` (400, one message per field),
``RoleNotAllowed`` (403), ``InvalidTransition`` / ``GuardFailed`` (400), ``ConcurrentChange`` (409).
"""

import math
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from directory import access, geo
from directory.models import Organisation, OrganisationKind, Unit, UnitKind, User
from directory.roles import Role
from engine import actions as engine
from engine.errors import ConcurrentChange, InvalidFields, InvalidTransition, RoleNotAllowed
from engine.models import Alert, AlertState, Deadline, DeadlineState
from procedures import conf, engine_hooks
from procedures.attributes import validate_attributes
from procedures.models import (
    Category,
    InterventionRequest,
    MessageKind,
    RequestFollower,
    RequestMessage,
    Urgency,
    UrgencyCriterion,
)
from procedures.references import allocate_reference
from procedures.uploads import check_uploads

PROCEDURE = "intervention-request"
URGENCY_CHECK = "urgency_check"
FILING_ROLES = (Role.REQUESTER, Role.REFERENT)
MAX_DESCRIPTION = 5000


# --- helpers ---------------------------------------------------------------------------------------------
def _errors_from(exc):
    """A Django ValidationError as a {field: message} dict."""
    if hasattr(exc, "error_dict"):
        return {field: " ".join(messages) for field, messages in exc.message_dict.items()}
    return {"__all__": " ".join(exc.messages)}


def _name_of(request):
    if request.handler_unit_id:
        return request.handler_unit.name
    if request.handler_organisation_id:
        return request.handler_organisation.name
    return _("the community's technical centre")


def _contact_of(request):
    holder = request.handler_unit or request.handler_organisation
    if holder is None:
        return ""
    parts = [part for part in (getattr(holder, "phone", ""), getattr(holder, "email", "")) if part]
    return ", ".join(parts)


def _due(request, kind):
    deadline = (
        Deadline.objects.filter(case_id=request.case_id, kind=kind, state=DeadlineState.RUNNING)
        .order_by("-started_at")
        .first()
    )
    return deadline.due_at if deadline else None


def _when(moment):
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def commune_language():
    """Messages to the commune are written in the platform's language (settings.LANGUAGE_CODE, French),
    whatever the language of the user whose action wrote them."""
    return translation.override(settings.LANGUAGE_CODE)


def _message(request, kind, body, author):
    """Write a message to the commune and queue its outbox event ``request.message`` (webhooks)."""
    from engine.outbox import emit

    message = RequestMessage.objects.create(request=request, kind=kind, body=body, author=author)
    emit(
        "request.message",
        case_id=request.case_id,
        payload={"message": message.pk, "kind": kind, "reference": request.reference},
    )
    return message


def _lock(request):
    """Re-read the request and its case in the transaction (row lock on PostgreSQL)."""
    locked = (
        InterventionRequest.objects.select_for_update(of=("self",))
        .select_related("case__version", "category__group", "handler_unit", "handler_organisation")
        .get(pk=request.pk)
    )
    if locked.case is None:
        raise InvalidFields(
            {"request": _("This request has no case (it was not filed through the platform).")}
        )
    return locked


def dispatcher_for(commune):
    """The CTC whose territory covers the commune (the request's dispatcher)."""
    return Unit.objects.filter(kind=UnitKind.CTC, territory=commune).order_by("pk").first()


def role_holders_for(request):
    holders = {
        "requester": [access.organisation_key(request.requester_organisation)],
        "dvq": [access.role_key(Role.DVQ_OFFICER)],
    }
    if request.dispatcher_unit_id:
        holders["dispatcher"] = [access.unit_key(request.dispatcher_unit)]
        holders["supervisor"] = [access.unit_key(request.dispatcher_unit, Role.SUPERVISOR)]
    holders["handler"] = [handler_key(request)] if handler_key(request) else []
    return {role: parties for role, parties in holders.items() if parties}


def handler_key(request):
    if request.handler_unit_id:
        return access.unit_key(request.handler_unit)
    if request.handler_organisation_id:
        return access.organisation_key(request.handler_organisation)
    return None


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
    unit = (
        Unit.objects.select_related("organisation").get(pk=decision.handler.id) if decision.handler else None
    )
    commune = Organisation.objects.get(pk=decision.commune.id)
    deciding = [step for step in decision.explanation if step.decided]
    explanation = "; ".join(step.detail for step in deciding) or "; ".join(
        step.detail for step in decision.explanation
    )
    return Routing(
        commune=commune,
        in_qpv=bool(decision.qpv),
        handler_unit=unit,
        handler_organisation=unit.organisation if unit else None,
        dispatcher_unit=dispatcher_for(commune),
        to_qualify=bool(decision.to_qualify),
        explanation=explanation,
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
    if isinstance(category, Category):
        found = category
    else:
        found = Category.objects.filter(code=str(category or "")).select_related("group").first()
    if found is None or not found.is_active:
        errors["category"] = _("Unknown or inactive category.")
        return None
    return found


def _criteria(category, urgency, codes, errors):
    codes = [c.code if isinstance(c, UrgencyCriterion) else str(c) for c in (codes or ())]
    if not codes:
        return []
    if urgency != Urgency.URGENT:
        errors["urgency_criteria"] = _("Urgency criteria are only ticked on an urgent request.")
        return []
    found = {
        c.code: c for c in UrgencyCriterion.objects.filter(category=category, code__in=codes, is_active=True)
    }
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
    errors = {}
    category = _category(category, errors)
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
    criteria, cleaned_attributes, checked_files = [], {}, []
    if category is not None:
        criteria = _criteria(category, urgency, urgency_criteria, errors)
        try:
            cleaned_attributes = validate_attributes(category, attributes)
        except ValidationError as exc:
            errors.update(_errors_from(exc))
    files = list(files or ())
    try:
        checked_files = check_uploads(files)
    except ValidationError as exc:
        errors.update(_errors_from(exc))
    routing = None
    if category is not None and "location" not in errors:
        try:
            routing = route(lon, lat, category)
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
        request = InterventionRequest.objects.create(
            reference=allocate_reference(timezone.localdate(now).year),
            category=category,
            category_group_id=category.group_id,
            description=description,
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
            created_at=now,
        )
        if criteria:
            request.urgency_criteria.set(criteria)
        with engine_hooks.filing(request):
            case = engine.do_open_case(
                PROCEDURE,
                acting_user=acting_user,
                role_holders=role_holders_for(request),
                data={"request_id": request.pk, "category": category.code, "urgency": urgency},
                reference=request.reference,
            )
        request.case = case
        request.save(update_fields=["case"])
        for upload, checked in zip(files, checked_files, strict=True):
            engine.do_attach(case, acting_user=acting_user, file=upload, description=checked.content_type)
        with commune_language():
            body = _("Your request %(ref)s was filed. It goes to %(handler)s. Why: %(why)s") % {
                "ref": request.reference,
                "handler": _name_of(request),
                "why": request.routing_explanation,
            }
            _message(request, MessageKind.FILED, body, acting_user)
            reason = _("Marked urgent without any urgency criterion of the category.")
        if urgency == Urgency.URGENT and not criteria:
            alert = engine.do_raise_alert(
                case, URGENCY_CHECK, acting_user=None, to_role="requester", reason=reason
            )
            _urgency_check_message(request, alert, None)
    return request


def _urgency_check_message(request, alert, author):
    with commune_language():
        _write_urgency_check_message(request, alert, author)


def _write_urgency_check_message(request, alert, author):
    body = _(
        "The urgency of %(ref)s is not justified by an objective criterion: the DVQ asks you to justify it"
    ) % {"ref": request.reference}
    if alert.answer_due_at:
        body += " " + _("by %(due)s") % {"due": _when(alert.answer_due_at)}
    body += "."
    if alert.reason:
        body += " " + alert.reason
    _message(request, MessageKind.URGENCY, body, author)


# --- transitions -----------------------------------------------------------------------------------------
DOMAIN_QUALIFY_FIELDS = ("category", "urgency", "urgency_criteria", "handler_unit", "handler_agent")


def _apply_qualification(request, fields, errors):
    """Category, urgency and handler confirmed or corrected while qualifying; returns the changed names."""
    changed = []
    if "category" in fields:
        category = _category(fields["category"], errors)
        if category is not None and category.pk != request.category_id:
            request.category, request.category_group_id = category, category.group_id
            changed += ["category", "category_group"]
    if "urgency" in fields:
        if fields["urgency"] not in Urgency.values:
            errors["urgency"] = _("Choose normal or urgent.")
        elif fields["urgency"] != request.urgency:
            request.urgency = fields["urgency"]
            changed.append("urgency")
    if "handler_unit" in fields:
        unit = fields["handler_unit"]
        unit = unit if isinstance(unit, Unit) else Unit.objects.filter(pk=unit).first()
        if unit is None:
            errors["handler_unit"] = _("Unknown unit.")
        elif unit.pk != request.handler_unit_id:
            request.handler_unit, request.handler_organisation = unit, unit.organisation
            changed += ["handler_unit", "handler_organisation"]
    if "handler_agent" in fields:
        agent = fields["handler_agent"]
        agent = agent if isinstance(agent, User) or agent is None else User.objects.filter(pk=agent).first()
        if agent is not None and request.handler_unit_id and agent.unit_id != request.handler_unit_id:
            errors["handler_agent"] = _("The agent must belong to the handler unit.")
        else:
            request.handler_agent = agent
            changed.append("handler_agent")
    return changed


def do_transition_request(request, code, *, acting_user, fields=None, reason="", expected_revision=None):
    """Fire a transition of the request's procedure and tell the commune what it means."""
    fields = dict(fields or {})
    if code == "redirect":
        return do_redirect_request(
            request, acting_user=acting_user, reason=reason, target=fields.get("target"),
            turn_to=fields.get("turn_to", ""),
        )  # fmt: skip
    if code == "mark_duplicate":
        master = InterventionRequest.objects.filter(reference=fields.get("master", "")).first()
        if master is None:
            raise InvalidFields({"master": _("No request has this reference.")})
        return do_merge_duplicate(request, master, acting_user=acting_user, reason=reason)
    with transaction.atomic():
        request = _lock(request)
        domain = {name: fields.pop(name) for name in DOMAIN_QUALIFY_FIELDS if name in fields}
        changed = []
        if domain:
            if code != "qualify":
                raise InvalidFields({name: _("Only set while qualifying.") for name in domain})
            errors = {}
            changed = _apply_qualification(request, domain, errors)
            if errors:
                raise InvalidFields(errors)
            if changed:
                request.save(update_fields=[*changed, "updated_at"])
                if "handler_unit" in changed:
                    engine.do_assign_role(
                        request.case,
                        "handler",
                        [handler_key(request)],
                        acting_user=acting_user,
                        reason=reason,
                    )
        case = engine.do_fire_transition(
            request.case, code, acting_user=acting_user, fields=fields, reason=reason,
            expected_revision=expected_revision,
        )  # fmt: skip
        _after_transition(request, case, code, acting_user, reason)
    return request


def _after_transition(request, case, code, acting_user, reason):
    with commune_language():
        _write_after_transition(request, case, code, acting_user, reason)


def _write_after_transition(request, case, code, acting_user, reason):
    now = timezone.now()
    data = case.data
    definition = case.version.definition
    final = definition["states"][case.state]["final"]
    updates = {"closed_at": now if final else None}
    ref = request.reference
    body, kind = None, None
    if code == "acknowledge":
        kind = MessageKind.ACKNOWLEDGED
        body = _("Your request %(ref)s has been acknowledged by %(handler)s.") % {
            "ref": ref,
            "handler": _name_of(request),
        }
        contact = _contact_of(request)
        if contact:
            body += " " + _("Contact: %(contact)s.") % {"contact": contact}
        due = _due(request, "resolve")
        if due:
            body += " " + _("Expected resolution by %(due)s.") % {"due": _when(due)}
    elif code == "qualify":
        kind = MessageKind.QUALIFIED
        body = _("Your request %(ref)s was qualified: %(category)s, %(urgency)s, handled by %(handler)s.") % {
            "ref": ref,
            "category": request.category.name,
            "urgency": request.get_urgency_display().lower(),
            "handler": _name_of(request),
        }
    elif code == "plan":
        planned = parse_date(data["planned_date"])
        updates["planned_date"] = planned
        kind = MessageKind.PLANNED
        body = _("The intervention for %(ref)s is planned on %(date)s.") % {
            "ref": ref,
            "date": formats.date_format(planned, "DATE_FORMAT"),
        }
    elif code == "start_work":
        kind = MessageKind.IN_PROGRESS
        body = _("The work on %(ref)s has started.") % {"ref": ref}
    elif code == "wait":
        kind = MessageKind.WAITING
        if data.get("waiting_for") == "requester":
            body = _("%(ref)s is on hold: we need information from you. %(reason)s")
        else:
            body = _("%(ref)s is on hold, waiting for a third party. %(reason)s")
        body %= {"ref": ref, "reason": reason}
    elif code == "finish":
        note = data.get("resolution_note", "")
        updates.update(resolution_note=note, resolved_at=now)
        kind = MessageKind.DONE
        body = _(
            "%(ref)s is done. What was done: %(note)s Please confirm, or reopen it within %(reopen)d days; "
            "without an answer it closes itself after %(close)d days."
        ) % {
            "ref": ref,
            "note": note,
            "reopen": conf.get("GUP_REOPEN_WINDOW_DAYS"),
            "close": conf.get("GUP_AUTO_CLOSE_DAYS"),
        }
    elif code == "auto_close":
        kind = MessageKind.CLOSED
        body = _("%(ref)s was closed without an answer from you after %(days)d days.") % {
            "ref": ref,
            "days": conf.get("GUP_AUTO_CLOSE_DAYS"),
        }
    elif code == "confirm":
        kind = MessageKind.CLOSED
        body = _("%(ref)s is closed: the resolution was confirmed.") % {"ref": ref}
    elif code == "reopen":
        kind = MessageKind.REOPENED
        body = _("%(ref)s was reopened: %(reason)s") % {"ref": ref, "reason": reason}
    elif code == "reject":
        kind = MessageKind.REJECTED
        body = _("%(ref)s was rejected: %(reason)s Who to turn to: %(turn_to)s") % {
            "ref": ref,
            "reason": reason,
            "turn_to": data.get("turn_to", ""),
        }
    for name, value in updates.items():
        setattr(request, name, value)
    request.save(update_fields=[*updates, "updated_at"])
    if body:
        _message(request, kind, body.strip(), acting_user)


def do_confirm_request(request, *, acting_user):
    return do_transition_request(request, "confirm", acting_user=acting_user)


def do_reopen_request(request, *, acting_user, reason):
    return do_transition_request(request, "reopen", acting_user=acting_user, reason=reason)


# --- redirect, duplicates, followers ----------------------------------------------------------------------
def do_redirect_request(request, *, acting_user, reason, target=None, turn_to=""):
    """Hand the request to another manager: ``target`` (a Unit or an Organisation) or, when None, the
    unit the routing resolves now. The new handler acts on it with the same procedure."""
    if not (reason or "").strip():
        raise InvalidFields({"reason": _("Say why the request is redirected.")})
    if isinstance(target, Unit):
        unit, organisation = target, target.organisation
    elif isinstance(target, Organisation):
        unit, organisation = None, target
    elif target in (None, ""):
        routing = route(request.lon, request.lat, request.category)
        unit, organisation = routing.handler_unit, routing.handler_organisation
    else:
        raise InvalidFields({"target": _("Choose a unit or an organisation.")})
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
            body = _("%(ref)s was redirected to %(target)s: %(reason)s") % {
                "ref": request.reference,
                "target": target_name,
                "reason": reason.strip(),
            }
            contact = turn_to or _contact_of(request)
            if contact:
                body += " " + _("Who to turn to: %(who)s") % {"who": contact}
            _message(request, MessageKind.REDIRECTED, body, acting_user)
    return request


def do_merge_duplicate(request, master, *, acting_user, reason=""):
    """Mark ``request`` as a duplicate of ``master``: its requester (and followers) follow the master and
    receive the master's messages from now on."""
    with transaction.atomic():
        request = _lock(request)
        engine.do_fire_transition(
            request.case, "mark_duplicate", acting_user=acting_user, fields={"master": master.reference},
            reason=reason,
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
            body = _(
                "%(ref)s reports the same dysfunction as %(master)s: it was merged into it, and you will "
                "receive the messages of %(master)s."
            ) % {"ref": request.reference, "master": master.reference}
            _message(request, MessageKind.MERGED, body, acting_user)
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


# --- the agent in charge -----------------------------------------------------------------------------------
ASSIGNING_ROLES = ("dispatcher", "supervisor")
AGENT_ROLES = (Role.AGENT, Role.SUPERVISOR)


def resolve_agent(value):
    """A user given as a User, a primary key or a username (API, forms); None if there is none."""
    if isinstance(value, User):
        return value
    if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
        return User.objects.filter(pk=int(value)).first()
    if isinstance(value, str) and value.strip():
        return User.objects.filter(username=value.strip()).first()
    return None


def do_assign_request_agent(request, agent, *, acting_user, reason=""):
    """Put ``agent`` in charge of the request, at any stage while it is open (qualified or later too).

    Allowed to the request's dispatcher and supervisor roles. The agent must be an active agent or
    supervisor of the handler unit or of a unit below it. Through the engine's do_assign_role: the
    handler role is held by the handler unit and the agent (audit ``role_assigned``, outbox
    ``case.role_assigned``, which tells the agent the request was handed to them)."""
    from engine.access import holders_by_role, principal_keys, roles_from_holders

    agent = resolve_agent(agent)
    if agent is None or not agent.is_active:
        raise InvalidFields({"agent": _("Unknown user: give the username or id of an active agent.")})
    if request.case_id is None:
        raise InvalidFields(
            {"request": _("This request has no case (it was not filed through the platform).")}
        )
    roles = roles_from_holders(holders_by_role(request.case), principal_keys(acting_user))
    if acting_user is None or not set(ASSIGNING_ROLES) & roles:
        raise RoleNotAllowed(list(ASSIGNING_ROLES))
    if request.case.phase == "closed":
        raise InvalidTransition(_("This request is closed: its agent cannot change."))
    if not request.handler_unit_id:
        raise InvalidFields(
            {"agent": _("The request has no handler unit: set the unit that must act first.")}
        )
    units = {agent.unit_id, *(unit.pk for unit in agent.unit.ancestors())} if agent.unit_id else set()
    if request.handler_unit_id not in units:
        raise InvalidFields(
            {"agent": _("%(agent)s does not belong to %(unit)s or a unit below it.")
             % {"agent": agent.username, "unit": request.handler_unit.name}}
        )  # fmt: skip
    if not any(agent.has_role(role) for role in AGENT_ROLES):
        raise InvalidFields({"agent": _("%(agent)s is not an agent.") % {"agent": agent.username}})
    with transaction.atomic():
        request = _lock(request)
        if request.handler_agent_id == agent.pk:
            return request
        request.handler_agent = agent
        request.save(update_fields=["handler_agent", "updated_at"])
        engine.do_assign_role(
            request.case,
            "handler",
            [handler_key(request), access.user_key(agent)],
            acting_user=acting_user,
            reason=reason or _("Agent in charge: %(agent)s") % {"agent": agent.username},
        )
    return request


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
    target = _share_target(request, user)
    engine.do_unshare_case(request.case, target, acting_user=acting_user, reason=reason or "")
    return target


# --- the DVQ's urgency check ------------------------------------------------------------------------------
def open_urgency_alert(request):
    return (
        Alert.objects.filter(case_id=request.case_id, code=URGENCY_CHECK)
        .exclude(state=AlertState.CLOSED)
        .order_by("-raised_at")
        .first()
    )


def do_raise_urgency_alert(request, *, acting_user, reason):
    """The DVQ asks the commune to justify the urgency of an urgent request."""
    if request.urgency != Urgency.URGENT:
        raise InvalidFields({"urgency": _("Only an urgent request can be checked.")})
    if not (reason or "").strip():
        raise InvalidFields({"reason": _("Say what the commune must justify.")})
    if open_urgency_alert(request) is not None:
        raise InvalidTransition(_("An urgency check is already open on this request."))
    with transaction.atomic():
        request = _lock(request)
        alert = engine.do_raise_alert(
            request.case, URGENCY_CHECK, acting_user=acting_user, to_role="requester", reason=reason.strip()
        )
        _urgency_check_message(request, alert, acting_user)
    return alert


def _the_alert(request):
    alert = open_urgency_alert(request)
    if alert is None:
        raise InvalidTransition(_("There is no open urgency check on this request."))
    return alert


def do_justify_urgency(request, *, acting_user, answer):
    """The commune answers the urgency check."""
    return engine.do_answer_alert(_the_alert(request), acting_user=acting_user, answer=answer)


def do_uphold_urgency_alert(request, *, acting_user, note=""):
    """The DVQ upholds its alert: the urgency is removed (counted as not justified)."""
    with transaction.atomic():
        request = _lock(request)
        alert = engine.do_close_alert(_the_alert(request), "upheld", acting_user=acting_user, note=note)
        request.urgency = Urgency.NORMAL
        request.urgency_justified = False
        request.save(update_fields=["urgency", "urgency_justified", "updated_at"])
        # The service level depends on the urgency: deadlines move to the normal level's targets.
        request.case._intervention_request = request
        with commune_language():
            engine.do_recompute_deadlines(
                request.case, acting_user=acting_user, reason=_("Urgency removed by the DVQ.")
            )
            _message(
                request,
                MessageKind.URGENCY,
                (
                    _("The DVQ upheld its alert: %(ref)s is no longer urgent.") % {"ref": request.reference}
                    + " "
                    + note
                ).strip(),
                acting_user,
            )
    return alert


def do_dismiss_urgency_alert(request, *, acting_user, note=""):
    """The DVQ dismisses its alert: the urgency stands and counts as justified."""
    with transaction.atomic():
        request = _lock(request)
        alert = engine.do_close_alert(_the_alert(request), "dismissed", acting_user=acting_user, note=note)
        request.urgency_justified = True
        request.save(update_fields=["urgency_justified", "updated_at"])
        with commune_language():
            _message(
                request,
                MessageKind.URGENCY,
                _("The DVQ accepted your justification: %(ref)s stays urgent.") % {"ref": request.reference},
                acting_user,
            )
    return alert


# --- background -------------------------------------------------------------------------------------------
def auto_close_done_requests(now=None, batch=500):
    """Worker job: close the done requests the commune has not answered for GUP_AUTO_CLOSE_DAYS days."""
    now = now or timezone.now()
    limit = now - timedelta(days=conf.get("GUP_AUTO_CLOSE_DAYS"))
    due = InterventionRequest.objects.filter(
        closed_at__isnull=True, resolved_at__lte=limit, case__state="done"
    ).order_by("resolved_at")[:batch]
    closed = 0
    for request in due:
        try:
            do_transition_request(
                request, "auto_close", acting_user=None, reason=_("No answer from the commune.")
            )
        except (InvalidTransition, ConcurrentChange):
            continue  # answered or closed meanwhile
        closed += 1
    return closed


# --- notifications -----------------------------------------------------------------------------------------
def do_set_notification_preference(user, event, *, by_email, in_app):
    """Choose how ``user`` is told of ``event`` (a NotificationEvent value)."""
    from procedures.models import NotificationEvent, NotificationPreference

    if event not in NotificationEvent.values:
        raise InvalidFields(
            {"event": _("Choose one of: %(events)s.") % {"events": ", ".join(NotificationEvent.values)}}
        )
    if not isinstance(by_email, bool) or not isinstance(in_app, bool):
        raise InvalidFields({"channels": _("by_email and in_app must be true or false.")})
    preference, _created = NotificationPreference.objects.update_or_create(
        user=user, event=event, defaults={"by_email": by_email, "in_app": in_app}
    )
    return preference


def do_mark_notifications_read(user, ids=None):
    """Mark the user's unread in-app notifications (all, or those whose ids are given) as read."""
    from procedures.models import Notification

    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())
