"""The partners' approval of a sector procedure version: submit, approve or ask for changes, reminders.

Every partner's referent gets one approval task per submission (``SectorApproval``, in parallel). The
Join is the version row, locked (``select_for_update``) by each answer: the last approval activates the
version exactly once, whatever the order or the concurrency. A request for changes sends the draft back to
its author and withdraws the other pending tasks. The worker job ``send_due_reminders`` claims the tasks
whose reminder is due with a compare-and-set update (non-interrupting: the task stays open).
"""

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from engine.errors import InvalidFields, RoleNotAllowed
from procedures.sectors import perimeter as perimeters
from procedures.sectors.actions import (
    _check_editor,
    _has_people,
    audit,
    event,
    reminder_delay,
    routing_changed,
)
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
        tasks = [
            SectorApproval.objects.create(
                version=version,
                partner=partner,
                round=round_number,
                opened_at=now,
                remind_at=now + reminder_delay(),
            )
            for partner in version.partners.select_related("referent", "organisation")
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
    # The Join: the version row is locked by every answer, so the last one sees all the others.
    version = SectorVersion.objects.select_for_update().get(pk=approval.version_id)
    approval = SectorApproval.objects.select_for_update().get(pk=approval.pk)
    if approval.state != ApprovalState.PENDING or version.status != SectorVersionStatus.IN_APPROVAL:
        raise InvalidFields({"approval": _("This approval has already been answered or withdrawn.")})
    now = timezone.now()
    approval.state, approval.comment, approval.answered_at, approval.answered_by = (
        state,
        comment,
        now,
        acting_user,
    )
    approval.save()
    return version, approval, now


def do_approve_sector_version(approval, *, acting_user, comment=""):
    """A partner's referent approves; the last approval of the round activates the version."""
    with transaction.atomic():
        version, approval, now = _answer(approval, acting_user, comment, ApprovalState.APPROVED)
        procedure = version.procedure
        audit(
            procedure,
            "version_approved",
            acting_user,
            version=version.number,
            round=approval.round,
            partner=approval.partner.organisation.code,
            comment=approval.comment,
        )
        event("version_approved", procedure=procedure.code, version=version.number, approval=approval.pk)
        waiting = (
            version.approvals.filter(round=approval.round).exclude(state=ApprovalState.APPROVED).exists()
        )
        if not waiting:
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
            event(
                "version_activated",
                procedure=procedure.code,
                version=version.number,
                user=version.created_by_id,
            )
            routing_changed()
    return approval


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
    """A partner's referent asks for changes: the version goes back to draft, to its author."""
    with transaction.atomic():
        version, approval, _now = _answer(approval, acting_user, comment, ApprovalState.CHANGES_REQUESTED)
        version.approvals.filter(round=approval.round, state=ApprovalState.PENDING).update(
            state=ApprovalState.WITHDRAWN
        )
        version.send_back()
        version.save()
        audit(
            version.procedure,
            "changes_requested",
            acting_user,
            version=version.number,
            round=approval.round,
            partner=approval.partner.organisation.code,
            comment=approval.comment,
        )
        event(
            "changes_requested",
            procedure=version.procedure.code,
            version=version.number,
            approval=approval.pk,
            user=version.created_by_id,
            comment=approval.comment,
        )
    return approval


def send_due_reminders(now=None):
    """Worker job: remind every referent whose approval is still waiting past its delay, once."""
    now = now or timezone.now()
    sent = 0
    due = SectorApproval.objects.filter(
        state=ApprovalState.PENDING, reminded_at__isnull=True, remind_at__lte=now
    ).values_list("pk", flat=True)
    for pk in list(due[:200]):
        with transaction.atomic():
            claimed = SectorApproval.objects.filter(
                pk=pk, state=ApprovalState.PENDING, reminded_at__isnull=True
            ).update(reminded_at=now)
            if not claimed:
                continue  # another worker took it
            approval = SectorApproval.objects.select_related(
                "version__procedure", "partner__organisation"
            ).get(pk=pk)
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
                approval=pk,
                user=approval.partner.referent_id,
            )
            sent += 1
    return sent


def approvals_to_give(user):
    """The approval tasks waiting for this user."""
    return SectorApproval.objects.filter(
        partner__referent=user, state=ApprovalState.PENDING, version__status=SectorVersionStatus.IN_APPROVAL
    ).select_related("version__procedure", "partner__organisation")
