"""What a user may see of access: people, invitations and access requests of the organisations they
manage (an administrator: all; a referent: their own organisation's; anybody else: nothing)."""

from accounts.models import AccessRequest, Invitation
from accounts.rules import is_administrator, is_referent_of
from directory.models import User


def _organisation_filter(user, queryset, field="organisation_id"):
    if is_administrator(user):
        return queryset
    if is_referent_of(user, getattr(user, "organisation_id", None)):
        return queryset.filter(**{field: user.organisation_id})
    return queryset.none()


def people_visible_to(user):
    return _organisation_filter(user, User.objects.all())


def invitations_visible_to(user):
    return _organisation_filter(user, Invitation.objects.all())


def access_requests_visible_to(user):
    return _organisation_filter(user, AccessRequest.objects.all())
