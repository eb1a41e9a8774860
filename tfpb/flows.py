"""The partners' review of a TFPB programme and of its yearly review: two flows on the partner-approval
building block (directory/approvals, docs/approvals.md). Their outcome nodes call tfpb.actions."""

from viewflow import this
from viewflow.workflow import flow, nodes

from directory.approvals.flow import PartnerApproval


class ProgrammeReviewFlow(PartnerApproval, flow.Flow):
    """Review of a TFPB programme by the partners"""

    approved = nodes.Function(this.validate).Next(this.end)
    changes_requested = nodes.Function(this.send_back).Next(this.end)
    end = nodes.End()

    def validate(self, activation):
        from tfpb.actions import conclude_programme_review

        conclude_programme_review(activation.process, approved=True)

    def send_back(self, activation):
        from tfpb.actions import conclude_programme_review

        conclude_programme_review(activation.process, approved=False)


class YearReviewFlow(PartnerApproval, flow.Flow):
    """Review of a TFPB yearly review (bilan) by the partners"""

    approved = nodes.Function(this.validate).Next(this.end)
    changes_requested = nodes.Function(this.send_back).Next(this.end)
    end = nodes.End()

    def validate(self, activation):
        from tfpb.actions import conclude_year_review

        conclude_year_review(activation.process, approved=True)

    def send_back(self, activation):
        from tfpb.actions import conclude_year_review

        conclude_year_review(activation.process, approved=False)
