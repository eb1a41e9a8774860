"""The TFPB write path: conventions, programmes and their actions, submission to the partners, the yearly
review (realised amounts, indicators, documents) and its submission.

Each ``do_<verb>_<noun>(..., *, acting_user)`` checks its ``may_<verb>_<noun>`` (``acting_user=None`` is the
system: demo data, commands), runs in one transaction, writes a ``TfpbAuditEntry`` (old and new values) and
queues its outbox events. Bad input raises ``InvalidFields`` naming the field, in French; nothing is saved.
"""

import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from directory.approvals.actions import start_partner_approval
from directory.models import Layer, OrganisationKind
from engine import outbox
from engine.errors import GuardFailed, InvalidFields, RoleNotAllowed
from tfpb.models import (
    EDITABLE,
    Action,
    Axis,
    Convention,
    Indicator,
    Programme,
    ReviewDocument,
    Status,
    TfpbAuditEntry,
)
from tfpb.scope import sees_everything

MAX_AMOUNT = Decimal("9999999999.99")
_SPACES = re.compile(r"[\s\u00a0\u202f]")
_NUMBER = re.compile(r"^\d+([.,]\d{1,2})?$")


def parse_amount(value, field, *, required=True):
    """An amount in euros typed by a person: digits, spaces as thousands separators, a comma or a point
    before at most two decimals ("12 500,50"). Never a float: a Decimal, or InvalidFields naming ``field``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidFields({field: _("Enter an amount in euros.")})
        return None
    if isinstance(value, float):
        raise InvalidFields({field: _('Send the amount as text (e.g. "12500,50"), not as a binary number.')})
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        text = str(value)
    elif isinstance(value, str):
        text = _SPACES.sub("", value.strip())
    else:
        raise InvalidFields({field: _("Enter an amount in euros.")})
    if text.startswith("-"):
        raise InvalidFields({field: _("An amount cannot be negative.")})
    if not _NUMBER.match(text):
        raise InvalidFields(
            {field: _("Enter an amount in euros, with a comma before at most two decimals (e.g. 12 500,50).")}
        )
    try:
        amount = Decimal(text.replace(",", ".")).quantize(Decimal("0.01"))
    except InvalidOperation:  # pragma: no cover - the pattern above only lets numbers through
        raise InvalidFields({field: _("Enter an amount in euros.")}) from None
    if amount > MAX_AMOUNT:
        raise InvalidFields({field: _("This amount is too large.")})
    return amount


def _check(allowed, message):
    if not allowed:
        raise RoleNotAllowed([], message)


def _audit(event, target, acting_user, **data):
    TfpbAuditEntry.objects.create(actor=acting_user, event=event, target=target[:200], data=data)


def _str(amount):
    return None if amount is None else str(amount)


def _emit(kind, programme, **payload):
    outbox.emit(
        kind,
        case_id=None,
        payload={
            "programme": programme.pk,
            "convention": programme.convention_id,
            "landlord": programme.convention.landlord_id,
            "year": programme.year,
            **payload,
        },
    )


# --- conventions --------------------------------------------------------------------------------------


def may_create_convention(user):
    return user is None or (user.is_active and sees_everything(user))


def do_create_convention(
    *,
    landlord,
    reference,
    start_year,
    end_year,
    qpvs,
    communes,
    state,
    community,
    dwellings,
    expected_abatement,
    signed_on=None,
    acting_user,
):
    """A landlord's convention with the State, the commune(s) and the community."""
    _check(may_create_convention(acting_user), _("Only the community may record a TFPB convention."))
    errors = {}
    amount = parse_amount(expected_abatement, "expected_abatement_eur")
    qpvs, communes = list(qpvs), list(communes)
    if landlord.kind != OrganisationKind.LANDLORD:
        errors["landlord"] = _("The convention's landlord must be a social landlord.")
    if state.kind != OrganisationKind.STATE:
        errors["state"] = _("The State's signatory must be an organisation of the State's services.")
    if community.kind != OrganisationKind.CU:
        errors["community"] = _("The community's signatory must be the urban community.")
    if not qpvs or any(qpv.layer != Layer.QPV for qpv in qpvs):
        errors["qpvs"] = _("Name the convention's QPV (priority neighbourhoods).")
    if not communes or any(commune.kind != OrganisationKind.COMMUNE for commune in communes):
        errors["communes"] = _("Name the commune(s) signing the convention.")
    try:
        start_year, end_year = int(start_year), int(end_year)
    except (TypeError, ValueError):
        errors["start_year"] = _("Enter the first and last years of the convention.")
    else:
        if not 2000 <= start_year <= end_year <= 2100:
            errors["end_year"] = _("The last year must be the first year or after it.")
    try:
        dwellings = int(dwellings)
        if dwellings < 0:
            raise ValueError
    except (TypeError, ValueError):
        errors["dwellings"] = _("Enter the number of dwellings concerned (a whole number).")
    if Convention.objects.filter(reference=reference).exists():
        errors["reference"] = _("A convention already has this reference.")
    if errors:
        raise InvalidFields(errors)
    with transaction.atomic():
        convention = Convention.objects.create(
            landlord=landlord,
            reference=reference,
            start_year=start_year,
            end_year=end_year,
            state=state,
            community=community,
            dwellings=dwellings,
            expected_abatement_eur=amount,
            signed_on=signed_on,
        )
        convention.qpvs.set(qpvs)
        convention.communes.set(communes)
        _audit(
            "convention_created",
            f"convention:{reference}",
            acting_user,
            new={
                "landlord": landlord.pk,
                "expected_abatement_eur": _str(amount),
                "years": [start_year, end_year],
            },
        )
    return convention


# --- programmes ---------------------------------------------------------------------------------------


def may_edit_programme(user, programme_or_convention):
    convention = getattr(programme_or_convention, "convention", programme_or_convention)
    return user is None or (user.is_active and user.organisation_id == convention.landlord_id)


def _check_landlord(user, obj):
    _check(may_edit_programme(user, obj), _("Only the convention's landlord may prepare its programmes."))


def _check_editable(programme):
    if not programme.is_editable:
        raise GuardFailed(
            "status",
            _("The programme is %(status)s: it can no longer be changed.")
            % {"status": programme.get_status_display().lower()},
        )


def do_create_programme(convention, *, year, qpv, expected_abatement=None, acting_user):
    """The landlord's programme for a year in one QPV of the convention (the expected abatement defaults to
    the convention's yearly amount shared equally between its QPV)."""
    _check_landlord(acting_user, convention)
    errors = {}
    try:
        year = int(year)
    except (TypeError, ValueError):
        errors["year"] = _("Enter the year of the programme.")
    else:
        if not convention.start_year <= year <= convention.end_year:
            errors["year"] = _("The convention covers %(start)d to %(end)d.") % {
                "start": convention.start_year,
                "end": convention.end_year,
            }
    qpv_ids = set(convention.qpvs.values_list("pk", flat=True))
    if qpv is None or qpv.pk not in qpv_ids:
        errors["qpv"] = _("This QPV is not covered by the convention.")
    if expected_abatement in (None, ""):
        amount = (convention.expected_abatement_eur / max(len(qpv_ids), 1)).quantize(Decimal("0.01"))
    else:
        amount = parse_amount(expected_abatement, "expected_abatement_eur")
    if not errors and Programme.objects.filter(convention=convention, year=year, qpv=qpv).exists():
        errors["year"] = _("This QPV already has a programme for %(year)d.") % {"year": year}
    if errors:
        raise InvalidFields(errors)
    with transaction.atomic():
        programme = Programme.objects.create(
            convention=convention, year=year, qpv=qpv, expected_abatement_eur=amount
        )
        _audit(
            "programme_created",
            f"programme:{programme.pk}",
            acting_user,
            new={"year": year, "qpv": qpv.code, "expected_abatement_eur": _str(amount)},
        )
    return programme


def do_add_programme_action(
    programme,
    *,
    axis,
    title,
    planned_amount,
    description="",
    places="",
    location=None,
    indicators=(),
    acting_user,
):
    """An action of the programme; ``indicators`` is a list of {name, unit, target}."""
    _check_landlord(acting_user, programme)
    _check_editable(programme)
    errors, amount, location = _clean_action(programme, axis, title, planned_amount, location)
    rows = []
    for index, indicator in enumerate(indicators or ()):
        name = (indicator.get("name") or "").strip()
        if not name:
            errors[f"indicators[{index}].name"] = _("Name the indicator.")
            continue
        try:
            target = parse_amount(indicator.get("target"), f"indicators[{index}].target")
        except InvalidFields as exc:
            errors.update(exc.errors)
            continue
        rows.append((name, (indicator.get("unit") or "").strip()[:40], target))
    if errors:
        raise InvalidFields(errors)
    with transaction.atomic():
        action = Action.objects.create(
            programme=programme,
            axis=axis,
            title=title.strip()[:200],
            description=description or "",
            places=(places or "")[:300],
            location=location,
            planned_amount_eur=amount,
            position=programme.actions.count(),
        )
        Indicator.objects.bulk_create(
            [
                Indicator(action=action, name=name[:200], unit=unit, target=target)
                for name, unit, target in rows
            ]
        )
        _audit(
            "action_added",
            f"programme:{programme.pk}",
            acting_user,
            new={"action": action.pk, "axis": axis.code, "planned_amount_eur": _str(amount)},
        )
    return action


def _clean_action(programme, axis, title, planned_amount, location):
    """(errors, amount, location) of an action's fields, checked as the add and the change both need."""
    errors = {}
    try:
        amount = parse_amount(planned_amount, "planned_amount_eur")
    except InvalidFields as exc:
        errors.update(exc.errors)
        amount = None
    if not isinstance(axis, Axis) or not axis.is_active:
        errors["axis"] = _("Choose one of the axes of the framework.")
    if not (title or "").strip():
        errors["title"] = _("Give the action a title.")
    if location is not None:
        try:
            location = _check_location(location, programme.qpv)
        except InvalidFields as exc:
            errors.update(exc.errors)
    return errors, amount, location


def _locked_editable(programme):
    """The programme row locked for the change, still editable (a submission meanwhile is refused)."""
    locked = Programme.objects.select_for_update().get(pk=programme.pk)
    _check_editable(locked)
    return locked


def do_change_programme_action(
    action, *, axis, title, planned_amount, description="", places="", location=None, acting_user
):
    """Change an action while its programme is a draft or sent back for changes (its indicators stay).
    ``location`` None removes the place from the map."""
    programme = action.programme
    _check_landlord(acting_user, programme)
    _check_editable(programme)
    errors, amount, location = _clean_action(programme, axis, title, planned_amount, location)
    if errors:
        raise InvalidFields(errors)
    new = {
        "axis": axis,
        "title": title.strip()[:200],
        "description": description or "",
        "places": (places or "")[:300],
        "location": location,
        "planned_amount_eur": amount,
    }
    with transaction.atomic():
        _locked_editable(programme)
        action = Action.objects.select_for_update().select_related("axis").get(pk=action.pk)
        changed = {name: value for name, value in new.items() if getattr(action, name) != value}
        if not changed:
            return action
        old = {name: getattr(action, name) for name in changed}
        for name, value in changed.items():
            setattr(action, name, value)
        action.save(update_fields=list(changed))
        _audit(
            "action_changed",
            f"programme:{programme.pk}",
            acting_user,
            action=action.pk,
            old=_plain(old),
            new=_plain(changed),
        )
    return action


def _plain(values):
    """An action's values as the audit stores them (the axis by its code, amounts as text)."""
    plain = {}
    for name, value in values.items():
        if isinstance(value, Axis):
            value = value.code
        elif isinstance(value, Decimal):
            value = str(value)
        plain[name] = value
    return plain


def _check_location(location, qpv):
    """A GeoJSON point (WGS84) inside the programme's QPV; returns it normalised."""
    from shapely.geometry import Point

    try:
        if location.get("type") != "Point":
            raise ValueError
        lon, lat = (float(value) for value in location["coordinates"])
    except (AttributeError, KeyError, TypeError, ValueError):
        raise InvalidFields(
            {
                "location": _(
                    'Give the place as a GeoJSON point: {"type": "Point", "coordinates": [lon, lat]}.'
                )
            }
        ) from None
    if not qpv.shape().covers(Point(lon, lat)):
        raise InvalidFields({"location": _("This place is outside the programme's QPV.")})
    return {"type": "Point", "coordinates": [lon, lat]}


def do_remove_programme_action(action, *, acting_user):
    """Remove an action (and its indicators) while its programme is a draft or sent back for changes."""
    programme = action.programme
    _check_landlord(acting_user, programme)
    _check_editable(programme)
    with transaction.atomic():
        _locked_editable(programme)
        _audit(
            "action_removed",
            f"programme:{programme.pk}",
            acting_user,
            old={
                "action": action.pk,
                "title": action.title,
                "planned_amount_eur": _str(action.planned_amount_eur),
            },
        )
        action.delete()


def _fire(programme, transition, *fields):
    """Fire a lifecycle transition of the programme (django-fsm-2, tfpb.models.Programme) and save the
    state with ``fields``. A move the lifecycle refuses, or a state changed meanwhile by someone else
    (ConcurrentTransitionMixin: the save finds the state it started from no longer there), is refused."""
    field = "review_status" if transition.endswith("_review") else "status"
    try:
        getattr(programme, transition)()
        programme.save(update_fields=[field, *fields])
    except (TransitionNotAllowed, ConcurrentTransition):
        raise GuardFailed(field, _("The programme was changed meanwhile; reload it.")) from None


def coverage(programme):
    """(planned total, expected abatement, whether the planned amount covers it)."""
    planned = programme.planned_total()
    return planned, programme.expected_abatement_eur, planned >= programme.expected_abatement_eur


def do_submit_programme(programme, *, acting_user):
    """The landlord submits the programme: the commune(s), the community and the State review it in
    parallel (tfpb.flows.ProgrammeReviewFlow)."""
    from tfpb.flows import ProgrammeReviewFlow

    _check_landlord(acting_user, programme)
    _check_editable(programme)
    if not programme.actions.exists():
        raise InvalidFields({"actions": _("Add at least one action before submitting the programme.")})
    planned, expected, covered = coverage(programme)
    with transaction.atomic():
        old = programme.status
        _fire(programme, "submit", "submitted_at")
        process = start_partner_approval(
            ProgrammeReviewFlow, programme, programme.convention.partners(), started_by=acting_user
        )
        _audit(
            "programme_submitted",
            f"programme:{programme.pk}",
            acting_user,
            old={"status": old},
            new={"status": Status.IN_REVIEW},
            planned_eur=_str(planned),
            expected_eur=_str(expected),
            covered=covered,
            process=process.pk,
        )
        _emit("tfpb.programme_submitted", programme, process=process.pk)
    return programme


def conclude_programme_review(process, *, approved):
    """The outcome node of ProgrammeReviewFlow (the system acting, after the last partner's answer)."""
    programme = Programme.objects.select_related("convention").get(pk=process.artifact_object_id)
    if approved:
        _fire(programme, "validate", "validated_at")
    else:
        _fire(programme, "send_back")
    new = programme.status
    _audit(
        "programme_validated" if approved else "programme_changes_requested",
        f"programme:{programme.pk}",
        None,
        old={"status": Status.IN_REVIEW},
        new={"status": new},
        process=process.pk,
        last_answered_by=process.data.get("last_answered_by"),
    )
    _emit("tfpb.programme_validated" if approved else "tfpb.programme_changes_requested", programme)


# --- the yearly review (bilan) ------------------------------------------------------------------------


def _check_review_open(programme):
    if programme.status != Status.VALIDATED:
        raise GuardFailed("status", _("The programme must be validated before its yearly review."))
    if programme.review_status not in EDITABLE:
        raise GuardFailed(
            "review_status",
            _("The yearly review is %(status)s: it can no longer be changed.")
            % {"status": programme.get_review_status_display().lower()},
        )


def do_record_realisation(action, *, realised_amount, comment="", indicators_reached=None, acting_user):
    """What was done for an action: the realised amount, comments, the indicators reached ({id: value})."""
    programme = action.programme
    _check(
        may_edit_programme(acting_user, programme), _("Only the convention's landlord may record its review.")
    )
    _check_review_open(programme)
    errors = {}
    try:
        amount = parse_amount(realised_amount, "realised_amount_eur")
    except InvalidFields as exc:
        errors.update(exc.errors)
        amount = None
    indicators = {indicator.pk: indicator for indicator in action.indicators.all()}
    reached = {}
    for key, value in (indicators_reached or {}).items():
        try:
            indicator_id = int(key)
        except (TypeError, ValueError):
            indicator_id = None
        if indicator_id not in indicators:
            errors[f"indicators.{key}"] = _("This indicator is not one of the action's.")
            continue
        try:
            reached[indicator_id] = parse_amount(value, f"indicators.{key}", required=False)
        except InvalidFields as exc:
            errors.update(exc.errors)
    if errors:
        raise InvalidFields(errors)
    with transaction.atomic():
        old = {"realised_amount_eur": _str(action.realised_amount_eur)}
        action.realised_amount_eur = amount
        action.realisation_comment = comment or ""
        action.save(update_fields=["realised_amount_eur", "realisation_comment"])
        for indicator_id, value in reached.items():
            Indicator.objects.filter(pk=indicator_id).update(reached=value)
        _audit(
            "realisation_recorded",
            f"programme:{programme.pk}",
            acting_user,
            old=old,
            new={"realised_amount_eur": _str(amount), "indicators": {k: _str(v) for k, v in reached.items()}},
            action=action.pk,
        )
    return action


def do_add_review_document(programme, upload, *, acting_user):
    """A supporting document, checked by its content like every upload (images, PDF)."""
    from procedures.uploads import check_upload

    _check(
        may_edit_programme(acting_user, programme), _("Only the convention's landlord may record its review.")
    )
    _check_review_open(programme)
    try:
        checked = check_upload(upload)
    except ValidationError as exc:
        raise InvalidFields({"file": " ".join(exc.messages)}) from None
    upload.seek(0)
    with transaction.atomic():
        document = ReviewDocument(
            programme=programme,
            name=checked.name,
            content_type=checked.content_type,
            size=checked.size,
            uploaded_by=acting_user,
        )
        document.file.save(checked.name, upload, save=False)
        document.save()
        _audit(
            "review_document_added",
            f"programme:{programme.pk}",
            acting_user,
            new={"document": document.pk, "type": checked.content_type, "size": checked.size},
        )
    return document


def do_submit_year_review(programme, *, comment="", acting_user):
    """The landlord submits the yearly review: the partners review it like the programme
    (tfpb.flows.YearReviewFlow)."""
    from tfpb.flows import YearReviewFlow

    _check(
        may_edit_programme(acting_user, programme), _("Only the convention's landlord may record its review.")
    )
    _check_review_open(programme)
    missing = programme.actions.filter(realised_amount_eur=None).count()
    if missing:
        raise InvalidFields(
            {
                "actions": _("Record the realised amount of every action first (%(count)d missing).")
                % {"count": missing}
            }
        )
    with transaction.atomic():
        old = programme.review_status
        programme.review_comment = comment or ""
        _fire(programme, "submit_review", "review_submitted_at", "review_comment")
        process = start_partner_approval(
            YearReviewFlow, programme, programme.convention.partners(), started_by=acting_user
        )
        _audit(
            "year_review_submitted",
            f"programme:{programme.pk}",
            acting_user,
            old={"review_status": old},
            new={"review_status": Status.IN_REVIEW},
            realised_eur=_str(programme.realised_total()),
            process=process.pk,
        )
        _emit("tfpb.year_review_submitted", programme, process=process.pk)
    return programme


def conclude_year_review(process, *, approved):
    """The outcome node of YearReviewFlow."""
    programme = Programme.objects.select_related("convention").get(pk=process.artifact_object_id)
    if approved:
        _fire(programme, "validate_review", "review_validated_at")
    else:
        _fire(programme, "send_back_review")
    new = programme.review_status
    _audit(
        "year_review_validated" if approved else "year_review_changes_requested",
        f"programme:{programme.pk}",
        None,
        old={"review_status": Status.IN_REVIEW},
        new={"review_status": new},
        process=process.pk,
        last_answered_by=process.data.get("last_answered_by"),
    )
    _emit("tfpb.year_review_validated" if approved else "tfpb.year_review_changes_requested", programme)


# --- axes (reference data, from the admin) -----------------------------------------------------------


def may_save_axis(user):
    return user is None or (user.is_active and (user.is_superuser or user.has_perm("tfpb.change_axis")))


def do_save_axis(axis, *, acting_user, changed_fields=()):
    """Create or change an axis of the framework (administrators)."""
    _check(may_save_axis(acting_user), _("You may not edit the axes."))
    created = axis.pk is None
    with transaction.atomic():
        axis.save()
        _audit(
            "axis_created" if created else "axis_changed",
            f"axis:{axis.code}",
            acting_user,
            new={"name": axis.name, "position": axis.position, "is_active": axis.is_active},
            fields=sorted(changed_fields),
        )
    return axis
