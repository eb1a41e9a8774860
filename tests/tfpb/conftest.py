from dataclasses import dataclass

import pytest

from directory.models import OrganisationKind
from directory.roles import Role
from tests.factories import make_organisation, make_user
from tfpb.actions import do_create_convention
from tfpb.models import Axis


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class Tfpb:
    world: object
    state: object
    state_referent: object
    cu_referent: object
    convention: object
    axes: dict

    @property
    def partners(self):
        world = self.world
        return [
            (world.commune, world.commune_user),
            (world.cu, self.cu_referent),
            (self.state, self.state_referent),
        ]


@pytest.fixture
def tfpb(world):
    state = make_organisation(OrganisationKind.STATE, code="prefecture", name="Préfecture des Yvelines")
    state_referent = make_user(state, roles=[Role.REFERENT], username="state-referent")
    cu_referent = make_user(world.cu, roles=[Role.REFERENT], username="cu-referent")
    convention = do_create_convention(
        landlord=world.landlord,
        reference="TFPB-2024-BAILLEUR",
        start_year=2024,
        end_year=2030,
        qpvs=[world.qpv],
        communes=[world.commune],
        state=state,
        community=world.cu,
        dwellings=850,
        expected_abatement="120 000,00",
        acting_user=None,
    )
    return Tfpb(
        world=world,
        state=state,
        state_referent=state_referent,
        cu_referent=cu_referent,
        convention=convention,
        axes={axis.code: axis for axis in Axis.objects.all()},
    )


@pytest.fixture
def as_user():
    """as_user(user) -> an APIClient authenticated with a fresh token of that user."""
    from rest_framework.test import APIClient

    from api.models import ApiToken

    def make(user):
        client = APIClient()
        _token, key = ApiToken.objects.create_for(user, "test")
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return make
