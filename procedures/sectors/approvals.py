"""The partners' approval of a sector procedure version: submit, approve or ask for changes, reminders.

The approval runs on the shared partner approval block (directory/approvals) as the viewflow flow
``procedures.sectors.flows.SectorApprovalFlow``: submitting starts a round (one viewflow task and
``directory.PartnerReview`` per partner, a reminder timer on each); every partner's referent answers through
the sector actions below, thin wrappers that check the sector's own rule (the referent named for the partner),
write the sector's audit entry and outbox event and keep ``SectorApproval`` (the sector's side of the review,
shown by the pages and the API) in step, then answer through the block's actions, which complete the task
under the flow's select_for_update lock. The Join runs once, when the last partner approved (the flow's
``approved`` node activates the version), or at the first request for changes (the other tasks are cancelled,
the ``changes_requested`` node sends the draft back to its author). Reminders: the block's timers, fired by
``directory.approvals.jobs.fire_due_reminders`` after ``APPROVAL_REMINDER_DAYS``.
"""

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from directory.approvals import actions as partner_reviews
from directory.approvals import jobs as approval_jobs
from engine.errors import GuardFailed, InvalidFields, RoleNotAllowed
from procedures.sectors import perimeter as perimeters
from procedures.sectors.actions import _check_editor, _has_people, audit, event, routing_changed
from procedures.sectors.models import (
    ApprovalState,
    SectorApproval,
    SectorVersion,
    SectorVersionStatus,
)

MAX_COMMENT = 2000


def submission_problems(version):
    """What prevents a draft from going to approval, as {field: message} (empty: ready)."""
    problems = {}
    if not version.geometry:
        problems["perimeter"] = _("The procedure has no perimeter yet.")
    if not version.partners.exists():
        problems["partners"] = _("Name at least one partner with its referent.")
    if version.intervention_version_id is None:
        problems["intervention_version"] = _("Choose the intervention procedure that requests will follow.")
    idle = sorted(
        {row.unit.name for row in version.split_rows.select_related("unit") if not _has_people(row.unit)}
    )
    if idle:
        problems["split"] = _("These units have nobody to act: %(units)s.") % {"units": ", ".join(idle)}
    return problems


def do_submit_sector_version(version, *, acting_user):
    """Send a draft to its partners' approval: one task per partner, reminders scheduled."""
    _check_editor(acting_user)
    with transaction.atomic():
        version = SectorVersion.objects.select_for_update().get(pk=version.pk)
        if version.status != SectorVersionStatus.DRAFT:
            raise InvalidFields({"status": _("Only a draft can be sent for approval.")})
        problems = submission_problems(version)
        if not problems:
            try:
                perimeters.check_no_overlap(version, version.shape())
            except InvalidFields as exc:
                problems.update(exc.errors)
        if problems:
            raise InvalidFields(problems)
        now = timezone.now()
        round_number = (version.approvals.aggregate(n=Max("round"))["n"] or 0) + 1
        version.submit()
        version.submitted_at = now
        version.save()
        from procedures.sectors.flows import SectorApprovalFlow

        partners = list(version.partners.select_related("referent", "organisation"))
        process = partner_reviews.start_partner_approval(
            SectorApprovalFlow,
            version,
            [partner.organisation for partner in partners],
            started_by=acting_user,
        )
        reviews = {review.organisation_id: review for review in process.partner_reviews.all()}
        remind_at = now + datetime.timedelta(days=settings.APPROVAL_REMINDER_DAYS)
        tasks = [
            SectorApproval.objects.create(
                version=version,
                partner=partner,
                review=reviews[partner.organisation_id],
                round=round_number,
                opened_at=now,
                remind_at=remind_at,
            )
            for partner in partners
        ]
        audit(
            version.procedure,
            "version_submitted",
            acting_user,
            version=version.number,
            round=round_number,
            partners=[task.partner.organisation.code for task in tasks],
        )
        for task in tasks:
            event(
                "approval_requested",
                procedure=version.procedure.code,
                version=version.number,
                approval=task.pk,
                user=task.partner.referent_id,
            )
    return version


def may_answer_approval(acting_user, approval):
    return (
        acting_user is not None and acting_user.is_active and acting_user.pk == approval.partner.referent_id
    )


def _answer(approval, acting_user, comment, state):
    if not may_answer_approval(acting_user, approval):
        raise RoleNotAllowed([], _("Only the partner's referent may answer this approval."))
    comment = (comment or "").strip() if isinstance(comment, str) else ""
    if len(comment) > MAX_COMMENT:
        raise InvalidFields({"comment": _("At most %(n)d characters.") % {"n": MAX_COMMENT}})
    if state == ApprovalState.CHANGES_REQUESTED and not comment:
        raise InvalidFields({"comment": _("Say what must change.")})
    # read without a lock: the answers are serialised by the flow's lock (select_for_update on the viewflow
    # process row, taken by the block's action), always before any sector row is written
    approval = SectorApproval.objects.select_related("version__procedure", "partner__organisation").get(
        pk=approval.pk
    )
    version = approval.version
    if (
        approval.state != ApprovalState.PENDING
        or approval.review_id is None
        or version.status != SectorVersionStatus.IN_APPROVAL
    ):
        raise InvalidFields({"approval": _("This approval has already been answered or withdrawn.")})
    return version, approval, comment


def _answer_review(approval, acting_user, state, comment):
    """Give the answer through the block (its audit entry, its event, the viewflow task completed under the
    flow's lock: the Join and the outcome node may run here), then copy it onto the sector's row."""
    review = approval.review
    try:
        if state == ApprovalState.APPROVED:
            partner_reviews.do_approve_partner_review(review, acting_user=acting_user, comment=comment)
        else:
            partner_reviews.do_request_changes_partner_review(
                review, acting_user=acting_user, comment=comment
            )
    except GuardFailed as exc:  # the round was closed by another partner's answer meanwhile
        raise InvalidFields({"approval": _("This approval has already been answered or withdrawn.")}) from exc
    SectorApproval.objects.filter(pk=approval.pk).update(
        state=state, comment=comment, answered_at=timezone.now(), answered_by=acting_user
    )
    approval.refresh_from_db()
    return approval


def do_approve_sector_version(approval, *, acting_user, comment=""):
    """A partner's referent approves; the last approval of the round activates the version (the flow's
    ``approved`` node)."""
    with transaction.atomic():
        version, approval, comment = _answer(approval, acting_user, comment, ApprovalState.APPROVED)
        procedure = version.procedure
        audit(
            procedure,
            "version_approved",
            acting_user,
            version=version.number,
            round=approval.round,
            partner=approval.partner.organisation.code,
            comment=comment,
        )
        event("version_approved", procedure=procedure.code, version=version.number, approval=approval.pk)
        approval = _answer_review(approval, acting_user, ApprovalState.APPROVED, comment)
    return approval


def activate_approved_version(version_id):
    """The flow's ``approved`` node (the system acting): every partner approved."""
    now = timezone.now()
    version = SectorVersion.objects.select_for_update().select_related("procedure").get(pk=version_id)
    procedure = version.procedure
    perimeters.check_no_overlap(version, version.shape())
    version.activate()
    version.activated_at = now
    version.save()
    _end_previous_if_due(version, now)
    audit(
        procedure,
        "version_activated",
        None,
        version=version.number,
        effective_from=str(version.effective_from),
    )
    event("version_activated", procedure=procedure.code, version=version.number, user=version.created_by_id)
    routing_changed()
    from procedures.sectors.evaluations import arm_evaluations

    arm_evaluations(procedure)


def _end_previous_if_due(version, now):
    if version.effective_from > timezone.localdate(now):
        return  # the previous version stays in force until then (routing picks by date; the worker ends it)
    for previous in SectorVersion.objects.filter(
        procedure_id=version.procedure_id,
        number__lt=version.number,
        status__in=[SectorVersionStatus.ACTIVE, SectorVersionStatus.SUSPENDED],
    ):
        SectorVersion.objects.filter(pk=previous.pk, status=previous.status).update(
            status=SectorVersionStatus.ENDED, ended_at=now
        )
        audit(version.procedure, "version_superseded", None, version=previous.number, by=version.number)


def do_request_sector_changes(approval, *, acting_user, comment):
    """A partner's referent asks for changes: the round closes, the version goes back to draft, to its
    author (the flow's ``changes_requested`` node)."""
    with transaction.atomic():
        version, approval, comment = _answer(approval, acting_user, comment, ApprovalState.CHANGES_REQUESTED)
        audit(
            version.procedure,
            "changes_requested",
            acting_user,
            version=version.number,
            round=approval.round,
            partner=approval.partner.organisation.code,
            comment=comment,
        )
        event(
            "changes_requested",
            procedure=version.procedure.code,
            version=version.number,
            approval=approval.pk,
            user=version.created_by_id,
            comment=comment,
        )
        approval = _answer_review(approval, acting_user, ApprovalState.CHANGES_REQUESTED, comment)
    return approval


def send_back_version(version_id):
    """The flow's ``changes_requested`` node (the system acting): the other partners' tasks are withdrawn."""
    version = SectorVersion.objects.select_for_update().get(pk=version_id)
    version.approvals.filter(state=ApprovalState.PENDING).update(state=ApprovalState.WITHDRAWN)
    version.send_back()
    version.save()


def record_reminder(review):
    """The sector's side of a reminder the block's timer just sent (flows.SectorApprovalFlow)."""
    approval = SectorApproval.objects.select_related("version__procedure", "partner__organisation").get(
        review=review
    )
    SectorApproval.objects.filter(pk=approval.pk).update(reminded_at=timezone.now())
    version = approval.version
    audit(
        version.procedure,
        "approval_reminded",
        None,
        version=version.number,
        partner=approval.partner.organisation.code,
    )
    event(
        "approval_reminder",
        procedure=version.procedure.code,
        version=version.number,
        approval=approval.pk,
        user=approval.partner.referent_id,
    )


def send_due_reminders(now=None):
    """The reminders due now: the block's worker job (it fires the due reminder timers of every partner
    approval flow); kept under this name for the sector's callers."""
    return approval_jobs.fire_due_reminders(now)


def approvals_to_give(user):
    """The approval tasks waiting for this user."""
    return SectorApproval.objects.filter(
        partner__referent=user, state=ApprovalState.PENDING, version__status=SectorVersionStatus.IN_APPROVAL
    ).select_related("version__procedure", "partner__organisation")
