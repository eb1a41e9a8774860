"""Fixtures of the sub-sector procedure tests: the test territory, the published procedures, a régie and
a draft sector procedure over the landlord's land in commune 1, built through the actions."""

from dataclasses import dataclass
from io import StringIO

import pytest
from django.core.management import call_command
from shapely.geometry import box, mapping

from directory.models import OrganisationKind, UnitKind
from directory.roles import Role
from engine.models import ProcedureVersion, VersionStatus
from procedures.models import CategoryGroup
from procedures.sectors import actions
from tests.factories import make_category, make_organisation, make_unit, make_user

PERIMETER = box(1.702, 48.982, 1.718, 48.998)
CAR_PARK = box(1.703, 48.983, 1.705, 48.985)


def geojson(shape):
    return {"type": mapping(shape)["type"], "coordinates": mapping(shape)["coordinates"]}


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class Sector:
    world: object
    version: object
    regie_unit: object
    regie_user: object
    cleanliness: object
    bulky: object
    lighting: object
    tags: object
    car_park: object
    variant: object


@pytest.fixture
def sector_world(world):
    call_command("setup_procedures", stdout=StringIO())
    return make_sector_world(world)


def make_sector_world(world):
    """Categories, a régie with one agent and the caretaker-check variant (published procedures needed)."""
    cleanliness = CategoryGroup.objects.create(code="cleanliness", name="Propreté")
    other = CategoryGroup.objects.create(code="lighting-group", name="Éclairage")
    bulky = make_category("bulky", group=cleanliness, name="Encombrants")
    tags = make_category("tags", group=cleanliness, name="Tags")
    lighting = make_category("lighting", group=other, name="Éclairage public")
    regie_unit = make_unit(world.contractor, UnitKind.SERVICE, code="regie-team", name="Équipe de la régie")
    regie_user = make_user(world.contractor, unit=regie_unit, roles=[Role.AGENT], username="regie")
    variant = ProcedureVersion.objects.get(
        procedure__code="intervention-request-caretaker-check", status=VersionStatus.PUBLISHED
    )
    return world, cleanliness, bulky, tags, lighting, regie_unit, regie_user, variant


def build_draft(sector_world, *, code="vf-nord", start="2026-01-05"):
    world, cleanliness, bulky, tags, lighting, regie_unit, regie_user, variant = sector_world
    admin = world.admin_user
    version = actions.do_create_sector_procedure(
        acting_user=admin,
        code=code,
        title="Secteur nord du Val",
        description="Expérimentation de gestion partagée (fictif).",
        goals="Délais tenus.",
        starts_on=start,
        evaluation_month=1,
        partners=[
            (world.landlord, world.landlord_agent, "Bailleur"),
            (world.commune, world.commune_user, "Commune"),
            (world.cu, world.ctc_lead, "CTC"),
        ],
        intervention_version=variant,
    )
    actions.do_set_sector_perimeter(version, acting_user=admin, geometry=geojson(PERIMETER))
    car_park = actions.do_add_sector_zone(
        version, acting_user=admin, name="Parking", geometry=geojson(CAR_PARK)
    )
    actions.do_add_split_row(
        version,
        acting_user=admin,
        category_group=cleanliness,
        unit=regie_unit,
        what="Balayage deux fois par semaine",
    )
    actions.do_add_split_row(
        version,
        acting_user=admin,
        category=bulky,
        zone=car_park,
        unit=world.ctc,
        what="Enlèvement sur le parking",
    )
    actions.do_set_pooled_means(
        version,
        acting_user=admin,
        organisation=world.contractor,
        unit=regie_unit,
        yearly_capacity="1200",
        categories=[bulky, tags],
        funding={world.landlord: "50", world.cu: "30,5", world.commune: "19.5"},
    )
    actions.do_add_service_level_override(
        version, acting_user=admin, category=tags, acknowledge_hours=4, resolve_hours=16
    )
    return Sector(
        world, version, regie_unit, regie_user, cleanliness, bulky, lighting, tags, car_park, variant
    )


@pytest.fixture
def draft(sector_world):
    return build_draft(sector_world)


def approve_all(version):
    from procedures.sectors import approvals

    for approval in version.approvals.filter(state="pending").select_related("partner"):
        approvals.do_approve_sector_version(approval, acting_user=approval.partner.referent)
    version.refresh_from_db()
    return version


@pytest.fixture
def active(draft):
    from procedures.sectors import approvals

    approvals.do_submit_sector_version(draft.version, acting_user=draft.world.admin_user)
    approve_all(draft.version)
    return draft


__all__ = ["OrganisationKind", "make_organisation"]
