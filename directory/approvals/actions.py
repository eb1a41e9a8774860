"""The write path of partner approvals: start a round, answer it (approve or request changes), remind.

``start_partner_approval`` is called from the using app's own action (which checks who may submit and writes
its own audit entry), inside its transaction. The answers are actions of their own: permission check by our
access rule (the user acts for the partner organisation and holds the GUP referent role there; viewflow's
``has_perm`` is never the gate), one transaction under the flow's lock, a directory audit entry and an outbox
event; then the viewflow task is completed, which may run the join and the using flow's outcome node in the
same transaction.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.status import STATUS

from directory.models import DirectoryAuditEntry, PartnerReview
from directory.roles import Role
from engine import outbox
from engine.errors import GuardFailed, InvalidFields, RoleNotAllowed

ANSWERED = "approval.answered"
REMINDED = "approval.reminder"
STARTED = "approval.started"


def _target(review):
    return f"partner_review:{review.pk}"


def _subject(review):
    return {"subject_type": review.subject_type.natural_key(), "subject_id": review.subject_id}


def _audit(event, review, acting_user, **data):
    DirectoryAuditEntry.objects.create(actor=acting_user, event=event, target=_target(review), data=data)


def start_partner_approval(flow_class, subject, organisations, *, started_by=None):
    """Start a round of ``flow_class`` (a PartnerApproval flow whose ``start`` is the block's StartHandle)
    on ``subject``, asking each organisation; returns the viewflow process. One outbox event per partner
    asked. Must run inside the caller's transaction (its action)."""
    organisations = list(organisations)
    if not organisations:
        raise InvalidFields({"partners": _("Name at least one partner organisation to ask.")})
    with transaction.atomic():
        process = flow_class.start.run(subject=subject, organisations=organisations, started_by=started_by)
        for review in PartnerReview.objects.filter(process=process).select_related("subject_type"):
            outbox.emit(
                STARTED,
                case_id=None,
                payload={
                    "review": review.pk,
                    "process": process.pk,
                    "organisation": review.organisation_id,
                    **_subject(review),
                },
            )
    return process


def may_answer_partner_review(user, review):
    """Whether ``user`` may answer for the partner of ``review``: they act for that organisation and hold its
    GUP referent role (or the using flow's own rule, ``may_answer_review``, where it has one)."""
    flow_rule = review.process.flow_class.instance.may_answer_review(user, review)
    if flow_rule is not None:
        return bool(flow_rule)
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.organisation_id == review.organisation_id
        and user.has_role(Role.REFERENT)
    )


def do_approve_partner_review(review, *, acting_user, comment=""):
    """The partner approves (an optional comment)."""
    return _answer(review, PartnerReview.Status.APPROVED, comment, acting_user)


def do_request_changes_partner_review(review, *, acting_user, comment):
    """The partner asks for changes; the comment says which and is required."""
    if not (comment or "").strip():
        raise InvalidFields({"comment": _("Say what must be changed.")})
    return _answer(review, PartnerReview.Status.CHANGES_REQUESTED, comment, acting_user)


def _answer(review, status, comment, acting_user):
    if not may_answer_partner_review(acting_user, review):
        raise RoleNotAllowed(
            [],
            _("Only the GUP referent of %(partner)s may answer for it.") % {"partner": review.organisation},
        )
    comment = (comment or "").strip()
    with transaction.atomic():
        task = review.task
        with task.activation() as activation:  # the flow's lock on the process row, then the task re-read
            current = PartnerReview.objects.get(pk=review.pk)
            if current.status != PartnerReview.Status.PENDING:
                raise GuardFailed(
                    "status",
                    _("%(partner)s has already answered (%(answer)s); an answer cannot be given twice.")
                    % {"partner": review.organisation, "answer": current.get_status_display()},
                )
            if activation.task.status not in (STATUS.NEW, STATUS.ASSIGNED):
                raise GuardFailed("status", _("This review round is closed."))
            now = timezone.now()
            claimed = PartnerReview.objects.filter(pk=review.pk, status=PartnerReview.Status.PENDING).update(
                status=status, comment=comment, answered_by=acting_user, answered_at=now
            )
            if claimed != 1:  # pragma: no cover - the lock above serialises answers
                raise GuardFailed("status", _("This partner has already answered."))
            current.refresh_from_db()
            _audit(
                "partner_review_approved"
                if status == PartnerReview.Status.APPROVED
                else "partner_review_changes_requested",
                current,
                acting_user,
                old={"status": PartnerReview.Status.PENDING},
                new={"status": status, "comment": comment},
                organisation=current.organisation_id,
                process=current.process_id,
                **_subject(current),
            )
            outbox.emit(
                ANSWERED,
                case_id=None,
                payload={
                    "review": current.pk,
                    "process": current.process_id,
                    "organisation": current.organisation_id,
                    "status": status,
                    **_subject(current),
                },
            )
            process = activation.process
            process.data = {**(process.data or {}), "last_answered_by": acting_user.pk}
            process.save(update_fields=["data"])
            if activation.task.status == STATUS.NEW:
                activation.assign(acting_user)
            activation.start(None)
            activation.execute()  # completes the task; the join and the outcome may follow
    return current


def remind_partner(review, *, now):
    """Record a reminder to a partner who has not answered (from the reminder timer, the system acting):
    claimed with a compare-and-set update so that it is sent once; returns whether it was."""
    if review.status != PartnerReview.Status.PENDING:
        return False
    sent = review.reminders_sent
    claimed = PartnerReview.objects.filter(
        pk=review.pk, status=PartnerReview.Status.PENDING, reminders_sent=sent
    ).update(reminders_sent=sent + 1, last_reminded_at=now)
    if claimed != 1:
        return False
    _audit(
        "partner_review_reminded",
        review,
        None,
        old={"reminders_sent": sent},
        new={"reminders_sent": sent + 1},
        organisation=review.organisation_id,
    )
    outbox.emit(
        REMINDED,
        case_id=None,
        payload={
            "review": review.pk,
            "process": review.process_id,
            "organisation": review.organisation_id,
            **_subject(review),
        },
    )
    return True


def outcome_of(process):
    """ "approved" once every partner approved, "changes_requested" once all answered and one did not,
    None while answers are awaited."""
    statuses = set(PartnerReview.objects.filter(process=process).values_list("status", flat=True))
    if not statuses or PartnerReview.Status.PENDING in statuses:
        return None
    return "approved" if statuses == {PartnerReview.Status.APPROVED} else "changes_requested"
