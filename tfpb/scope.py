"""The one scope filter of the TFPB app, used by every list and detail (API and web): a landlord sees its
own conventions; a commune those it signed (on its territory); the State's services those it signed; the
community and administrators all of them. Out of scope is 404."""

from directory.models import OrganisationKind
from directory.roles import Role
from tfpb.models import Convention, Programme


def sees_everything(user):
    return bool(
        user.is_superuser
        or user.has_role(Role.ADMINISTRATOR)
        or (user.organisation_id and user.organisation.kind == OrganisationKind.CU)
    )


def conventions_visible_to(user):
    queryset = Convention.objects.select_related("landlord", "state", "community")
    if user is None or not user.is_authenticated or not user.is_active:
        return queryset.none()
    if sees_everything(user):
        return queryset
    if not user.organisation_id:
        return queryset.none()
    kind = user.organisation.kind
    if kind == OrganisationKind.LANDLORD:
        return queryset.filter(landlord_id=user.organisation_id)
    if kind == OrganisationKind.COMMUNE:
        return queryset.filter(communes=user.organisation_id)
    if kind == OrganisationKind.STATE:
        return queryset.filter(state_id=user.organisation_id)
    return queryset.none()


def programmes_visible_to(user):
    return Programme.objects.select_related("convention__landlord", "qpv").filter(
        convention__in=conventions_visible_to(user).values("pk")
    )
