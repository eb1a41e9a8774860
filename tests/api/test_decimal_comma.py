"""A decimal comma in the API's numbers: read as a decimal point (as the web forms do), never dropped;
anything ambiguous is a 400 that says how to write the number."""

from engine.models import AuditEntry
from procedures.models import InterventionRequest


def body(**extra):
    data = {"category": "potholes", "description": "Trou devant l'école", "lon": "1,702", "lat": "48,998"}
    data.update(extra)
    return data


def test_a_coordinate_written_with_a_decimal_comma_is_read_as_a_decimal(as_user, world, potholes):
    client = as_user(world.commune_user)
    response = client.post("/api/v1/requests/", body(attributes={"depth": "12,5"}), format="json")
    assert response.status_code == 201, response.json()
    filed = InterventionRequest.objects.get()
    assert (filed.lon, filed.lat) == (1.702, 48.998)
    assert filed.attributes == {"depth": 12.5}


def test_an_ambiguous_number_is_refused_with_a_message_and_nothing_is_filed(as_user, world, potholes):
    client = as_user(world.commune_user)
    response = client.post("/api/v1/requests/", body(lat="48,998.5"), format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert "lat" in errors and "un point ou une virgule" in str(errors["lat"])
    attribute = client.post("/api/v1/requests/", body(attributes={"depth": "1,2,5"}), format="json")
    assert attribute.status_code == 400 and "un point ou une virgule" in str(attribute.json()["errors"])
    assert not InterventionRequest.objects.exists() and not AuditEntry.objects.exists()
