"""Builders for the main objects, and a small test territory with a named user per role.

The territory (`build_world`) is two square communes side by side, a CTC covering the first, another
CTC covering the second, the waste direction and the DVQ, a landlord owning land in a QPV of the first
commune, and a contractor. Coordinates are near Mantes-la-Jolie, in WGS84.
"""

from dataclasses import dataclass
from itertools import count

from shapely.geometry import box

from directory import geo
from directory.models import (
    Domain,
    Layer,
    Organisation,
    OrganisationKind,
    Parcel,
    Perimeter,
    RoleAssignment,
    Unit,
    UnitKind,
    User,
)
from directory.roles import Role
from procedures.models import Category, CategoryGroup

_seq = count(1)
PASSWORD = "test-password-123"


def make_organisation(kind=OrganisationKind.COMMUNE, code=None, name=None, **extra):
    n = next(_seq)
    code = code or f"{kind}-{n}"
    if kind == OrganisationKind.COMMUNE:
        extra.setdefault("insee", f"{78000 + n:05d}"[-5:])
    return Organisation.objects.create(
        code=code, name=name or code.replace("-", " ").title(), kind=kind, **extra
    )


def make_unit(organisation, kind=UnitKind.SERVICE, code=None, territory=(), parent=None, **extra):
    code = code or f"unit-{next(_seq)}"
    unit = Unit.objects.create(
        organisation=organisation, code=code, name=extra.pop("name", code), kind=kind, parent=parent, **extra
    )
    if territory:
        unit.territory.set(territory)
    return unit


def make_user(organisation=None, *, roles=(), unit=None, username=None, **extra):
    user = User(username=username or f"user-{next(_seq)}", organisation=organisation, unit=unit, **extra)
    user.set_password(PASSWORD)
    user.save()
    RoleAssignment.objects.bulk_create([RoleAssignment(user=user, role=role) for role in roles])
    return user


def make_perimeter(layer, shape, code=None, name=None, **extra):
    perimeter = Perimeter(
        layer=layer, code=code or f"{layer}-{next(_seq)}", name=name or "perimeter", **extra
    )
    perimeter.set_geometry(geo.geojson_from_shape(shape))
    perimeter.area_m2 = geo.area_m2(shape)
    perimeter.save()
    return perimeter


def make_parcel(shape, owner=None, domain=Domain.PRIVATE, ref=None):
    parcel = Parcel(ref=ref or f"P-{next(_seq)}", owner=owner, domain=domain)
    parcel.set_geometry(geo.geojson_from_shape(shape))
    parcel.area_m2 = geo.area_m2(shape)
    parcel.save()
    return parcel


def make_category(code=None, group=None, **extra):
    group = group or CategoryGroup.objects.get_or_create(code="general", defaults={"name": "Général"})[0]
    code = code or f"category-{next(_seq)}"
    return Category.objects.create(code=code, name=extra.pop("name", code), group=group, **extra)


# Commune 1 spans lon 1.70-1.72, commune 2 lon 1.72-1.74, both lat 48.98-49.00.
COMMUNE_1_BOX = (1.70, 48.98, 1.72, 49.00)
COMMUNE_2_BOX = (1.72, 48.98, 1.74, 49.00)
QPV_BOX = (1.705, 48.985, 1.715, 48.995)
POINT_IN_QPV = (1.710, 48.990)  # lon, lat
POINT_IN_COMMUNE_1 = (1.702, 48.998)  # outside the QPV
POINT_IN_COMMUNE_2 = (1.730, 48.990)
POINT_OUTSIDE = (2.50, 48.50)


@dataclass
class World:
    cu: Organisation
    commune: Organisation
    commune_2: Organisation
    landlord: Organisation
    contractor: Organisation
    ctc: Unit
    ctc_2: Unit
    waste: Unit
    dvq: Unit
    landlord_agency: Unit
    qpv: Perimeter
    commune_user: User
    commune_2_user: User
    ctc_agent: User
    ctc_lead: User
    dvq_officer: User
    waste_agent: User
    landlord_agent: User
    admin_user: User


def build_world():
    cu = make_organisation(OrganisationKind.CU, code="cu", name="Communauté urbaine")
    commune = make_organisation(OrganisationKind.COMMUNE, code="commune-1", name="Commune Une", insee="78901")
    commune_2 = make_organisation(
        OrganisationKind.COMMUNE, code="commune-2", name="Commune Deux", insee="78902"
    )
    landlord = make_organisation(OrganisationKind.LANDLORD, code="landlord", name="Bailleur")
    contractor = make_organisation(
        OrganisationKind.CONTRACTOR, code="regie", name="Régie", is_inclusion_enterprise=True
    )
    ctc = make_unit(cu, UnitKind.CTC, code="ctc-1", name="CTC Un", territory=[commune])
    ctc_2 = make_unit(cu, UnitKind.CTC, code="ctc-2", name="CTC Deux", territory=[commune_2])
    waste = make_unit(cu, UnitKind.WASTE, code="waste", name="Déchets", territory=[commune, commune_2])
    dvq = make_unit(cu, UnitKind.DVQ, code="dvq", name="DVQ", territory=[commune, commune_2])
    landlord_agency = make_unit(landlord, UnitKind.AGENCY, code="landlord-agency", name="Agence")
    make_perimeter(Layer.COMMUNES, box(*COMMUNE_1_BOX), code="commune-1", name="Commune Une", commune=commune)
    make_perimeter(
        Layer.COMMUNES, box(*COMMUNE_2_BOX), code="commune-2", name="Commune Deux", commune=commune_2
    )
    qpv = make_perimeter(Layer.QPV, box(*QPV_BOX), code="qpv-1", name="QPV Un", commune=commune)
    make_parcel(box(1.705, 48.985, 1.715, 48.995), owner=landlord, ref="LANDLORD-1")
    return World(
        cu=cu,
        commune=commune,
        commune_2=commune_2,
        landlord=landlord,
        contractor=contractor,
        ctc=ctc,
        ctc_2=ctc_2,
        waste=waste,
        dvq=dvq,
        landlord_agency=landlord_agency,
        qpv=qpv,
        commune_user=make_user(commune, roles=[Role.REFERENT, Role.REQUESTER], username="commune"),
        commune_2_user=make_user(commune_2, roles=[Role.REFERENT, Role.REQUESTER], username="commune-2"),
        ctc_agent=make_user(cu, unit=ctc, roles=[Role.AGENT], username="ctc"),
        ctc_lead=make_user(cu, unit=ctc, roles=[Role.AGENT, Role.SUPERVISOR], username="ctc-lead"),
        dvq_officer=make_user(cu, unit=dvq, roles=[Role.DVQ_OFFICER], username="dvq"),
        waste_agent=make_user(cu, unit=waste, roles=[Role.AGENT], username="waste"),
        landlord_agent=make_user(landlord, unit=landlord_agency, roles=[Role.AGENT], username="landlord"),
        admin_user=make_user(
            cu, roles=[Role.ADMINISTRATOR], username="admin", is_staff=True, is_superuser=True
        ),
    )
