"""The partner-approval building block: one object approved in parallel by a set of partner organisations,
each through its referent, as a reusable piece of a code-defined viewflow flow (see docs/approvals.md).

- ``flow.PartnerApproval``: a mixin for a ``viewflow.workflow.flow.Flow`` that adds the nodes: a split into
  one human task per partner, a non-interrupting reminder timer on each task, a join under the flow's
  ``select_for_update`` lock and the outcome gate, which hands "all approved" or "changes requested" back to
  the using flow's own nodes (``approved`` and ``changes_requested`` by default).
- ``actions``: ``start_partner_approval`` (called from the using app's own action),
  ``do_approve_partner_review`` and ``do_request_changes_partner_review`` (checked by
  ``may_answer_partner_review``): the write path of the answers.
- ``scope``: what a user may see of the reviews, and their inbox.
- ``jobs.fire_due_reminders``: the worker job (settings.WORKER_JOBS) that fires the reminder timers.

It knows nothing of the objects it approves: they are the viewflow process's artifact.
"""
