"""TFPB test data on the test territory (tests.factories.build_world): the State's services and the
partners' referents, a convention of the world's landlord; also used by the browser tests."""

from dataclasses import dataclass

from directory.models import OrganisationKind
from directory.roles import Role
from tests.factories import make_organisation, make_user
from tfpb.actions import (
    do_add_programme_action,
    do_create_convention,
    do_create_programme,
    do_submit_programme,
)
from tfpb.models import Axis


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


def shipped_axes():
    """The national axes (shipped by a data migration; a browser test's flush empties the table)."""
    if not Axis.objects.exists():
        from importlib import import_module

        for position, (code, name) in enumerate(import_module("tfpb.migrations.0002_national_axes").AXES, 1):
            Axis.objects.create(code=code, name=name, position=position)
    return {axis.code: axis for axis in Axis.objects.all()}


def build_tfpb(world):
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
        axes=shipped_axes(),
    )


def build_programme(tfpb, *, year=2025, submit=False):
    """A programme with two actions covering the expected abatement; submitted to the partners if asked."""
    programme = do_create_programme(tfpb.convention, year=year, qpv=tfpb.world.qpv, acting_user=None)
    do_add_programme_action(
        programme,
        axis=tfpb.axes["reinforced_upkeep"],
        title="Nettoyage renforcé des halls",
        places="Résidence des Peupliers",
        planned_amount="80 000",
        indicators=[{"name": "Passages par semaine", "unit": "passages", "target": "5"}],
        acting_user=None,
    )
    do_add_programme_action(
        programme,
        axis=tfpb.axes["tranquillity"],
        title="Médiation de soirée",
        planned_amount="45 000",
        acting_user=None,
    )
    if submit:
        do_submit_programme(programme, acting_user=None)
    return programme
