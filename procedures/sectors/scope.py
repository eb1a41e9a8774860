"""THE scope filter of sub-sector procedures: every list and detail (API and web) goes through it.

Administrators and the community's staff see every procedure; any other user sees the procedures of
which their organisation is (or was) a partner. CLECT groups: administrators and the
community's staff see every group; any other user sees the groups with a member in their commune (a
perimeter of that commune) or a member procedure they see. Out of scope reads exactly like unknown (404)."""

from django.db.models import Q

from directory.models import OrganisationKind
from procedures.scope import is_administrator
from procedures.sectors.clect_models import ClectGroup
from procedures.sectors.models import SectorApproval, SectorEvaluation, SectorProcedure


def _sees_all(user):
    return is_administrator(user) or (user.organisation_id and user.organisation.kind == OrganisationKind.CU)


def sector_procedures_visible_to(user):
    queryset = SectorProcedure.objects.all()
    if not user or not user.is_authenticated:
        return queryset.none()
    if _sees_all(user):
        return queryset
    if not user.organisation_id:
        return queryset.none()
    return queryset.filter(versions__partners__organisation_id=user.organisation_id).distinct()


def sector_approvals_visible_to(user):
    return SectorApproval.objects.filter(
        version__procedure__in=sector_procedures_visible_to(user).values("pk")
    )


def sector_evaluations_visible_to(user):
    return SectorEvaluation.objects.filter(procedure__in=sector_procedures_visible_to(user).values("pk"))


def clect_groups_visible_to(user):
    queryset = ClectGroup.objects.all()
    if not user or not user.is_authenticated:
        return queryset.none()
    if _sees_all(user):
        return queryset
    if not user.organisation_id:
        return queryset.none()
    return queryset.filter(
        Q(memberships__perimeter__commune_id=user.organisation_id)
        | Q(memberships__procedure__in=sector_procedures_visible_to(user).values("pk"))
    ).distinct()


def clect_member_prefetches():
    """Prefetches of a list of groups' members: their perimeters without their outline (names only)."""
    from django.db.models import Prefetch

    from directory.models import Perimeter

    light = Perimeter.objects.defer("geometry", "land_shares", "delegation_schedule", "properties")
    return (Prefetch("memberships__perimeter", queryset=light), "memberships__procedure")
