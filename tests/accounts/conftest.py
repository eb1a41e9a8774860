from dataclasses import dataclass

import pytest

from directory.models import OrganisationKind, User
from directory.roles import Role
from tests.factories import make_organisation, make_user


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class People:
    commune: object
    commune_2: object
    referent: User
    requester: User
    referent_2: User
    admin: User


@pytest.fixture
def people(db):
    commune = make_organisation(OrganisationKind.COMMUNE, code="mantes", name="Mantes-la-Jolie")
    commune_2 = make_organisation(OrganisationKind.COMMUNE, code="mureaux", name="Les Mureaux")
    return People(
        commune=commune,
        commune_2=commune_2,
        referent=make_user(
            commune, roles=[Role.REFERENT, Role.REQUESTER], username="referent", email="ref@mantes.test"
        ),
        requester=make_user(commune, roles=[Role.REQUESTER], username="requester", email="req@mantes.test"),
        referent_2=make_user(
            commune_2, roles=[Role.REFERENT], username="referent-2", email="r2@mureaux.test"
        ),
        admin=make_user(None, roles=[Role.ADMINISTRATOR], username="admin", is_staff=True),
    )


def counts():
    from accounts.models import AccessRequest, Invitation
    from directory.models import DirectoryAuditEntry, RoleAssignment
    from engine.models import OutboxEvent

    return (
        User.objects.count(),
        RoleAssignment.objects.count(),
        Invitation.objects.count(),
        AccessRequest.objects.count(),
        DirectoryAuditEntry.objects.count(),
        OutboxEvent.objects.count(),
    )
