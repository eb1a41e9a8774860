"""The admin of dated land: SIREN mappings (with the unmapped SIRENs listed) and land operations, through the
directory's actions."""

import datetime as dt

import pytest

from directory import actions
from directory.models import DirectoryAuditEntry, LandOperation, Parcel, ParcelOwnership, SirenMapping


@pytest.fixture
def admin_client(client, world, time_machine):
    time_machine.move_to(dt.datetime(2026, 6, 1, 10, 0, tzinfo=dt.UTC), tick=False)
    client.force_login(world.admin_user)
    return client


def test_the_mapping_list_shows_unmapped_sirens_and_a_mapping_is_saved_through_the_action(
    admin_client, world
):
    parcel = Parcel.objects.get(ref="LANDLORD-1")
    actions.do_change_parcel_owner(
        parcel, None, siren="552081317", owner_name="FONCIERE DU VAL", acting_user=None
    )
    page = admin_client.get("/admin/directory/sirenmapping/")
    assert page.status_code == 200
    assert "552081317" in page.content.decode() and "FONCIERE DU VAL" in page.content.decode()
    response = admin_client.post(
        "/admin/directory/sirenmapping/add/",
        {"siren": "552081317", "organisation": world.landlord.pk, "note": ""},
    )
    assert response.status_code == 302
    assert SirenMapping.objects.get().organisation == world.landlord
    assert Parcel.objects.get(ref="LANDLORD-1").owner == world.landlord
    entry = DirectoryAuditEntry.objects.get(event="siren_mapped")
    assert entry.actor == world.admin_user and entry.data["parcels"] == 1
    assert (
        "552081317"
        not in admin_client.get("/admin/directory/sirenmapping/").content.decode().split("unmapped-sirens")[1]
    )


def test_a_land_operation_is_recorded_from_the_admin_ahead_of_its_date(admin_client, world):
    data = {
        "kind": "residentialisation",
        "name": "Résidentialisation",
        "project": "NPNRU",
        "effective_date": "2026-09-01",
        "retire": "",
        "owners": "LANDLORD-1;commune-1",
    }
    refused = admin_client.post("/admin/directory/landoperation/add/", {**data, "owners": "NOPE;commune-1"})
    assert refused.status_code == 200 and "NOPE" in refused.content.decode()
    assert not LandOperation.objects.exists() and not DirectoryAuditEntry.objects.exists()
    response = admin_client.post("/admin/directory/landoperation/add/", data)
    assert response.status_code == 302
    operation = LandOperation.objects.get()
    assert operation.effective_date == dt.date(2026, 9, 1) and operation.applied_at is None
    assert [(p.owner_id, p.valid_from) for p in ParcelOwnership.objects.order_by("pk")] == [
        (world.landlord.pk, None),
        (world.commune.pk, dt.date(2026, 9, 1)),
    ]
    assert DirectoryAuditEntry.objects.filter(event="land_operation_recorded").count() == 1
    assert admin_client.get(f"/admin/directory/landoperation/{operation.pk}/change/").status_code == 200
