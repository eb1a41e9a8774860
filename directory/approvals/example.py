"""The smallest flow built on the partner approval: the block's test flow and the example of
docs/approvals.md.

It approves any object; its outcome nodes record the outcome in the process data (a real flow calls its
app's action there, e.g. tfpb's programme validation)."""

from viewflow import this
from viewflow.workflow import flow, nodes

from directory.approvals.flow import PartnerApproval


class ExampleApprovalFlow(PartnerApproval, flow.Flow):
    """Example partner approval"""

    approved = nodes.Function(this.record_approved).Next(this.end)
    changes_requested = nodes.Function(this.record_changes_requested).Next(this.end)
    end = nodes.End()

    def record_approved(self, activation):
        self._record(activation, "approved")

    def record_changes_requested(self, activation):
        self._record(activation, "changes_requested")

    def _record(self, activation, outcome):
        process = activation.process
        process.data = {**process.data, "outcome": outcome}
        process.save(update_fields=["data"])
