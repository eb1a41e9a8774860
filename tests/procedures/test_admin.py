import pytest
from django.urls import reverse

from procedures.models import InterventionRequest, ServiceLevel
from tests.factories import PASSWORD
from tests.procedures.helpers_actions import file


@pytest.fixture
def admin_client(client, requests_world):
    assert client.login(username=requests_world.admin_user.username, password=PASSWORD)
    return client


def test_administrators_edit_service_levels_in_the_admin(admin_client, bulky):
    response = admin_client.post(
        reverse("admin:procedures_servicelevel_add"),
        {
            "name": "Encombrants en QPV l'hiver",
            "is_active": "on",
            "category": bulky.pk,
            "zone_type": "qpv",
            "urgency": "",
            "season_start": "11-01",
            "season_end": "03-31",
            "acknowledge_hours": "7",
            "resolve_hours": "21",
        },
    )
    assert response.status_code == 302
    level = ServiceLevel.objects.get()
    assert (level.zone_type, level.season_start, level.resolve_hours) == ("qpv", "11-01", 21)


def test_the_admin_refuses_an_inconsistent_service_level(admin_client):
    response = admin_client.post(
        reverse("admin:procedures_servicelevel_add"),
        {
            "name": "x",
            "is_active": "on",
            "season_start": "11-01",
            "acknowledge_hours": "9",
            "resolve_hours": "3",
        },
    )
    assert response.status_code == 200 and not ServiceLevel.objects.exists()


def test_requests_are_read_only_in_the_admin(admin_client, requests_world, bulky):
    request = file(requests_world, bulky)
    assert admin_client.get(reverse("admin:procedures_interventionrequest_changelist")).status_code == 200
    change = reverse("admin:procedures_interventionrequest_change", args=[request.pk])
    assert admin_client.get(change).status_code == 200
    admin_client.post(change, {"description": "changed"})
    request.refresh_from_db()
    assert request.description != "changed"
    assert admin_client.get(reverse("admin:procedures_interventionrequest_add")).status_code == 403
    assert InterventionRequest.objects.count() == 1
