"""The TFPB demo data on a small territory (not load_demo: the organisations it needs, made here)."""

import pytest
from shapely.geometry import box

from directory.models import Layer, OrganisationKind
from directory.roles import Role
from tests.factories import make_organisation, make_perimeter, make_user
from tfpb.demo import load_tfpb
from tfpb.models import Action, Convention, Programme, Status


@pytest.mark.django_db
def test_the_demo_has_two_conventions_with_last_years_review_validated_and_this_years_programme_in_review():
    make_organisation(OrganisationKind.CU, code="gpso", name="CU")
    make_organisation(OrganisationKind.STATE, code="prefecture-78", name="Préfecture")
    for code, insee, user in [
        ("mantes-la-jolie", "78361", "demo-commune"),
        ("les-mureaux", "78440", "demo-commune-2"),
    ]:
        commune = make_organisation(OrganisationKind.COMMUNE, code=code, name=code, insee=insee)
        make_user(commune, roles=[Role.REFERENT], username=user)
    landlord = make_organisation(OrganisationKind.LANDLORD, code="residences-mantois", name="RDM (fictif)")
    make_user(landlord, roles=[Role.AGENT], username="demo-landlord")
    make_organisation(OrganisationKind.LANDLORD, code="habitat-seine-aval", name="HSA (fictif)")
    make_perimeter(Layer.QPV, box(1.69, 48.99, 1.70, 49.0), code="qpv-val-fourre", name="Val Fourré")
    make_perimeter(Layer.QPV, box(1.90, 48.98, 1.91, 48.99), code="qpv-cinq-quartiers", name="Cinq Quartiers")

    assert load_tfpb() == 2
    assert load_tfpb() == 0  # idempotent
    assert Convention.objects.count() == 2
    programmes = Programme.objects.order_by("year")
    assert [p.status for p in programmes[:2]] == [Status.VALIDATED] * 2
    assert [p.review_status for p in programmes[:2]] == [Status.VALIDATED] * 2
    assert [p.status for p in programmes[2:]] == [Status.IN_REVIEW] * 2
    assert all(p.planned_total() >= p.expected_abatement_eur for p in programmes)
    placed = Action.objects.filter(location__isnull=False)
    assert placed.count() == 2 * 4  # two actions placed on the map in each of the four programmes
    assert {action.axis.code for action in placed} == {"tranquillity", "social_life"}
