"""What a user sees of partner reviews: those of the organisation they act for (any status); staff see all.
The using app filters its own objects with its own scope; this is the partners' side."""

from viewflow.workflow.status import STATUS

from directory.models import PartnerReview
from directory.roles import Role


def partner_reviews_visible_to(user):
    queryset = PartnerReview.objects.select_related("organisation", "subject_type")
    if user is None or not user.is_authenticated or not user.is_active:
        return queryset.none()
    if user.is_superuser or user.has_role(Role.ADMINISTRATOR):
        return queryset
    if not user.organisation_id:
        return queryset.none()
    return queryset.filter(organisation_id=user.organisation_id)


def inbox_of(user):
    """The reviews awaiting this user's answer: the pending ones of their organisation, if they are its
    referent."""
    if user is None or not user.is_authenticated or not user.has_role(Role.REFERENT):
        return PartnerReview.objects.none()
    # a task cancelled by a round closed early (close_round_on_changes_requested) awaits nothing any more
    return partner_reviews_visible_to(user).filter(
        organisation_id=user.organisation_id,
        status=PartnerReview.Status.PENDING,
        task__status__in=[STATUS.NEW, STATUS.ASSIGNED],
    )
