"""THE scope filter of the observation: whose requests a user's figures are computed over.

Figures carry no personal data, so the observation's scope is wider than the request lists':
- administrators, the community's staff (CU) and the DVQ observe every request;
- a commune's users observe the requests in their commune's territory;
- a landlord's or contractor's users observe the requests their organisation handles;
- anyone else observes nothing.
A filter naming something outside the scope (another commune, another landlord's unit) is a 404.
"""

from django.db.models import Q

from directory.models import OrganisationKind
from directory.roles import Role
from procedures.models import InterventionRequest
from procedures.scope import is_administrator

NOTHING = Q(pk__in=[])
SYSTEM = object()  # the worker and commands (an annual review is about everything in its commune)


def observes_everything(user):
    if is_administrator(user) or user.has_role(Role.DVQ_OFFICER):
        return True
    return user.organisation_id is not None and user.organisation.kind == OrganisationKind.CU


def observation_q(user, prefix=""):
    """The Q over requests (fields under ``prefix``, e.g. "" or "request__") that ``user`` observes;
    None means every request."""
    if user is SYSTEM:
        return None
    if user is None or not user.is_authenticated or not user.is_active:
        return NOTHING
    if observes_everything(user):
        return None
    organisation = user.organisation
    if organisation is None:
        return NOTHING
    if organisation.kind == OrganisationKind.COMMUNE:
        return Q(**{f"{prefix}commune_id": organisation.pk})
    if organisation.kind in (OrganisationKind.LANDLORD, OrganisationKind.CONTRACTOR):
        return Q(**{f"{prefix}handler_organisation_id": organisation.pk})
    return NOTHING


def requests_observed_by(user, queryset=None):
    queryset = InterventionRequest.objects.all() if queryset is None else queryset
    q = observation_q(user)
    return queryset if q is None else queryset.filter(q)


def reviews_visible_to(user):
    """Annual reviews: drafts for those who write them (DVQ, administrators); published ones for
    whoever observes their commune (the community's published review for every signed-in user)."""
    from observation.actions.reviews import may_write_annual_review
    from observation.models import AnnualReview, ReviewState

    reviews = AnnualReview.objects.select_related("commune")
    if user is None or not user.is_authenticated or not user.is_active:
        return reviews.none()
    if may_write_annual_review(user):
        return reviews
    published = reviews.filter(state=ReviewState.PUBLISHED)
    if observes_everything(user):
        return published
    own = user.organisation
    if own is not None and own.kind == OrganisationKind.COMMUNE:
        return published.filter(Q(commune__isnull=True) | Q(commune=own))
    return published.filter(commune__isnull=True)
