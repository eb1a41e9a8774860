"""Programmes: a landlord's yearly programme in one QPV, its submission to the partners and the
outcome of their review (the programme's lifecycle, tfpb.models.Programme)."""

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from directory.approvals.actions import start_partner_approval
from engine.errors import GuardFailed, InvalidFields
from tfpb.actions._common import _audit, _check, _emit, _str, parse_amount
from tfpb.models import (
    Programme,
    Status,
)


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
    _conclude(process, approved, "status", ("validate", "validated_at"), "send_back", "programme")


def _conclude(process, approved, field, validate, send_back, name):
    """Validate (``validate``: the transition and its timestamp field) or send back the programme, or its
    yearly review, once its partner round ended; ``field`` is the state field, ``name`` names the events."""
    programme = Programme.objects.select_related("convention").get(pk=process.artifact_object_id)
    if approved:
        _fire(programme, *validate)
    else:
        _fire(programme, send_back)
    outcome = "validated" if approved else "changes_requested"
    _audit(
        f"{name}_{outcome}",
        f"programme:{programme.pk}",
        None,
        old={field: Status.IN_REVIEW},
        new={field: getattr(programme, field)},
        process=process.pk,
        last_answered_by=process.data.get("last_answered_by"),
    )
    _emit(f"tfpb.{name}_{outcome}", programme)
