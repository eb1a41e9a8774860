"""The nodes of the partner approval, added to a viewflow flow by the ``PartnerApproval`` mixin.

::

    start ──> partners_split ══> partner_review (one task per partner) ──> partners_join ──> partners_outcome
                                   └─(timer, non-interrupting)─> partner_reminder ──> reminder_sent   │
                                                                   approved <── all approved ─────────┤
                                                       changes_requested <── otherwise ───────────────┘

The using flow defines the two outcome nodes (names in ``approved_node`` / ``changes_requested_node``) and,
if it needs more than the default, its own ``start`` leading to ``this.partners_split``. Node names are
stored in task rows: renaming one needs a data migration.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from viewflow import this
from viewflow.workflow import lock, nodes
from viewflow.workflow.activation import Activation
from viewflow.workflow.exceptions import FlowRuntimeError
from viewflow.workflow.nodes.split import Split, SplitActivation

from directory.models import PartnerReview

#: viewflow's select_for_update lock on the process row, blocking (it waits for the other answer's transaction
#: instead of failing at once): two partners answering together are serialised, so the join sees both.
approval_lock = lock.SelectForUpdateLock(nowait=False, attempts=1)

BLOCK_NODES = (
    "partners_split",
    "partner_review",
    "partner_reminder",
    "reminder_sent",
    "partners_join",
    "partners_outcome",
)


class PartnerSplitActivation(SplitActivation):
    """Creates one task of each branch per partner named in the process data (``partner_ids``)."""

    @Activation.status.super()
    def activate(self):
        partner_ids = self.process.data.get("partner_ids") or []
        for node, cond, _data in self.flow_task._branches:
            if cond and not cond(self):
                continue
            for organisation_id in partner_ids:
                self.next_tasks.append((node, {"organisation_id": organisation_id}))
        if not self.next_tasks:
            raise FlowRuntimeError(f"No partner to ask in {self.flow_task.name}")


class PartnerSplit(Split):
    """A parallel split with one instance of its branch per partner."""

    activation_class = PartnerSplitActivation


class PartnerApproval:
    """Mixin for a ``viewflow.workflow.flow.Flow``: ``class MyFlow(PartnerApproval, flow.Flow)``.

    Fresh node instances are made for each flow class (viewflow copies nodes shallowly: sharing them between
    flows would share their boundary events)."""

    lock_impl = approval_lock
    approved_node = "approved"
    changes_requested_node = "changes_requested"
    #: a timedelta, or None for settings.APPROVAL_REMINDER_DAYS
    reminder_delay = None
    #: True: the first request for changes closes the round at once (the other partners' tasks are cancelled
    #: by the join); False (default): every partner's answer is awaited
    close_round_on_changes_requested = False
    #: True: the using app e-mails its partners itself, the block's consumer sends nothing for its rounds
    sends_its_own_emails = False

    def may_answer_review(self, user, review):
        """The using flow's own rule of who answers for a partner, or None for the block's (referent role)."""
        return None

    def __init_subclass__(cls, **kwargs):
        clash = [name for name in BLOCK_NODES if name in cls.__dict__]
        if clash:
            raise TypeError(f"{cls.__name__} redefines nodes of the partner approval: {', '.join(clash)}")
        block = {
            "partners_split": PartnerSplit().Always(this.partner_review),
            "partner_review": nodes.View(None)
            .onCreate(this.open_partner_review)
            .OnTimeout(this.partner_reminder_delay, this.partner_reminder, interrupting=False)
            .Next(this.partners_join),
            "partner_reminder": nodes.Function(this.send_partner_reminder).Next(this.reminder_sent),
            "reminder_sent": nodes.End(),
            "partners_join": nodes.Join(
                continue_on_condition=this.changes_requested_closes_round
                if cls.close_round_on_changes_requested
                else None
            ).Next(this.partners_outcome),
            "partners_outcome": nodes.If(this.all_partners_approved)
            .Then(getattr(this, cls.approved_node))
            .Else(getattr(this, cls.changes_requested_node)),
        }
        if "start" not in cls.__dict__:
            block["start"] = nodes.StartHandle(this.begin_partner_approval).Next(this.partners_split)
        for name, node in block.items():
            setattr(cls, name, node)
        super().__init_subclass__(**kwargs)

    # --- node callbacks (resolved through ``this``) ----------------------------------------------------

    def begin_partner_approval(self, activation, subject, organisations, started_by=None):
        process = activation.process
        process.artifact = subject
        process.data = {
            **(process.data or {}),
            "partner_ids": sorted({organisation.pk for organisation in organisations}),
            "started_by": getattr(started_by, "pk", None),
        }
        return process

    def open_partner_review(self, activation):
        process = activation.process
        PartnerReview.objects.create(
            process=process,
            task=activation.task,
            organisation_id=activation.task.data["organisation_id"],
            subject_type_id=process.artifact_content_type_id,
            subject_id=process.artifact_object_id,
        )

    def partner_reminder_delay(self, activation):
        if self.reminder_delay is not None:
            return self.reminder_delay
        return timedelta(days=settings.APPROVAL_REMINDER_DAYS)

    def send_partner_reminder(self, activation):
        from directory.approvals.actions import remind_partner

        boundary = activation.task.previous.first()
        host = boundary.previous.first() if boundary is not None else None
        review = PartnerReview.objects.filter(task=host).first() if host is not None else None
        if review is not None:
            remind_partner(review, now=timezone.now())

    def changes_requested_closes_round(self, activation, active_tasks):
        return PartnerReview.objects.filter(
            process=activation.process, status=PartnerReview.Status.CHANGES_REQUESTED
        ).exists()

    def all_partners_approved(self, activation):
        return not (
            PartnerReview.objects.filter(process=activation.process)
            .exclude(status=PartnerReview.Status.APPROVED)
            .exists()
        )


def subject_of(process):
    """The object a process approves."""
    return process.artifact


def content_type_of(obj):
    return ContentType.objects.get_for_model(obj, for_concrete_model=False)
