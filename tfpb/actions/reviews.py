"""The yearly review (bilan): realised amounts, indicators reached, supporting documents, its submission to
the partners and the outcome of their review."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from directory.approvals.actions import start_partner_approval
from engine.errors import GuardFailed, InvalidFields
from tfpb.actions._common import _audit, _check, _emit, _str, parse_amount
from tfpb.actions.programmes import _conclude, _fire, may_edit_programme
from tfpb.models import (
    EDITABLE,
    Indicator,
    ReviewDocument,
    Status,
)


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
    _conclude(
        process,
        approved,
        "review_status",
        ("validate_review", "review_validated_at"),
        "send_back_review",
        "year_review",
    )
