"""GET /api/v1/routing/resolve/: the decision with its explanation; bad input is a 400 naming the problem."""

import pytest
from rest_framework.test import APIClient

from directory.models import Competence
from tests.factories import POINT_IN_QPV, POINT_OUTSIDE, make_category

URL = "/api/v1/routing/resolve/"


@pytest.fixture
def client_for(world):
    def make(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def category(world):
    category = make_category(code="dechets-diffus")
    Competence.objects.create(unit=world.waste, category=category, direct_handling=True)
    Competence.objects.create(unit=world.landlord_agency, category=category)
    return category


def test_it_returns_the_handler_commune_perimeters_and_explanation(world, category, client_for):
    lon, lat = POINT_IN_QPV
    response = client_for(world.commune_user).get(URL, {"lat": lat, "lon": lon, "category": "dechets-diffus"})
    assert response.status_code == 200
    body = response.json()
    assert body["handler"] == {
        "code": "landlord-agency",
        "name": "Agence",
        "kind": "agency",
        "organisation": "landlord",
        "organisation_name": "Bailleur",
    }
    assert body["commune"] == {"insee": "78901", "name": "Commune Une", "code": "commune-1"}
    assert body["perimeters"] == [
        {"layer": "communes", "code": "commune-1", "name": "Commune Une"},
        {"layer": "qpv", "code": "qpv-1", "name": "QPV Un"},
    ]
    assert body["qpv"] is True and body["to_qualify"] is False and body["decided_by"] == 3
    assert body["parcel"] == {"ref": "LANDLORD-1", "domain": "private"}
    assert [(step["rule"], step["code"], step["decided"]) for step in body["explanation"]] == [
        (1, "subsector_split", False),
        (2, "delegated_manager", False),
        (3, "parcel_owner", True),
    ]


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"lon": 1.71, "category": "dechets-diffus"}, "lat", "required"),
        ({"lat": "north", "lon": 1.71, "category": "dechets-diffus"}, "lat", "valid number"),
        ({"lat": 48.99, "lon": 1.71}, "category", "required"),
        ({"lat": 48.99, "lon": 1.71, "category": "unknown"}, "category", "Unknown category unknown"),
        ({"lat": 95, "lon": 1.71, "category": "dechets-diffus"}, "lat", "less than or equal to 90"),
        (
            {"lat": POINT_OUTSIDE[1], "lon": POINT_OUTSIDE[0], "category": "dechets-diffus"},
            "non_field_errors",
            "outside the community's territory",
        ),
    ],
)
def test_it_refuses_bad_or_missing_parameters_with_a_400_naming_them(
    world, category, client_for, params, field, message
):
    response = client_for(world.ctc_agent).get(URL, params, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    body = response.json()
    assert message in " ".join(body["errors"][field])
    assert message in body["detail"]


def test_it_requires_authentication(world, category):
    lon, lat = POINT_IN_QPV
    response = APIClient().get(URL, {"lat": lat, "lon": lon, "category": "dechets-diffus"})
    assert response.status_code in (401, 403)
