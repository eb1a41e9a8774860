"""The API of dated land: parcels as of a date, a sub-sector's scheduled changes, land operations."""

import datetime as dt

import pytest
from shapely.geometry import box

from directory import actions, delegation, geo
from directory.models import DirectoryAuditEntry, LandOperation, Layer, Parcel, ParcelOwnership
from tests.factories import make_parcel, make_perimeter


@pytest.fixture
def today(time_machine):
    time_machine.move_to(dt.datetime(2026, 6, 1, 10, 0, tzinfo=dt.UTC), tick=False)


def owner_of(features, ref):
    return next(f["properties"]["owner"] for f in features if f["id"] == ref)


def test_parcels_show_the_owner_of_the_chosen_date(as_user, world, today, django_assert_max_num_queries):
    actions.do_change_parcel_owner(
        Parcel.objects.get(ref="LANDLORD-1"), world.commune, on=dt.date(2026, 7, 1), acting_user=None
    )
    client = as_user(world.commune_user)
    now = client.get("/api/v1/parcels/?perimeter=qpv-1").json()["features"]
    assert owner_of(now, "LANDLORD-1") == "landlord"
    with django_assert_max_num_queries(8):  # token, perimeter, candidates, page count, parcels, periods
        later = client.get("/api/v1/parcels/?perimeter=qpv-1&at=2026-07-15")
    assert later.status_code == 200
    feature = later.json()["features"][0]
    assert feature["properties"]["owner"] == "commune-1" and feature["properties"]["at"] == "2026-07-15"
    assert [(p["owner"], p["valid_from"], p["valid_until"]) for p in feature["properties"]["ownership"]] == [
        ("landlord", None, "2026-07-01"),
        ("commune-1", "2026-07-01", None),
    ]
    one = client.get("/api/v1/parcels/LANDLORD-1/?at=2020-01-01").json()
    assert one["properties"]["owner"] == "landlord"


def test_a_bad_date_is_refused_naming_the_field(as_user, world):
    response = as_user(world.commune_user).get("/api/v1/parcels/?perimeter=qpv-1&at=15/07/2026")
    assert response.status_code == 400 and "at" in response.json()["errors"]


def test_a_parcel_retired_by_an_operation_is_absent_from_that_date(as_user, world, today):
    actions.do_record_land_operation(
        kind="remembrement",
        name="Îlot",
        effective_date=dt.date(2026, 7, 1),
        retire=["LANDLORD-1"],
        create=[
            {
                "ref": "NEW-1",
                "geometry": geo.geojson_from_shape(box(1.705, 48.985, 1.715, 48.995)),
                "owner": None,
            }
        ],
        acting_user=None,
    )
    client = as_user(world.commune_user)
    refs_now = [f["id"] for f in client.get("/api/v1/parcels/?perimeter=qpv-1").json()["features"]]
    refs_then = [
        f["id"] for f in client.get("/api/v1/parcels/?perimeter=qpv-1&at=2026-07-01").json()["features"]
    ]
    assert refs_now == ["LANDLORD-1"] and refs_then == ["NEW-1"]


def test_a_sub_sector_lists_its_scheduled_changes(as_user, world, today):
    subsector = make_perimeter(
        Layer.SUBSECTORS, box(1.725, 48.982, 1.735, 48.988), code="ss-1", commune=world.commune_2
    )
    parcel = make_parcel(box(1.725, 48.982, 1.735, 48.988), owner=world.landlord, ref="SS-ALL")
    delegation.recompute_delegation(subsector)
    actions.do_change_parcel_owner(parcel, world.commune_2, on=dt.date(2026, 9, 1), acting_user=None)
    body = as_user(world.commune_user).get("/api/v1/perimeters/ss-1/").json()
    assert body["properties"]["delegated_manager"] == "landlord"
    assert body["properties"]["scheduled_changes"] == [
        {"from": "2026-09-01", "delegated_manager": "commune-2", "shares": {"commune-2": 100.0}}
    ]


def test_an_administrator_records_a_residentialisation_ahead_of_its_date(as_user, world, today):
    payload = {
        "kind": "residentialisation",
        "name": "Résidentialisation des Peintres",
        "project": "NPNRU",
        "effective_date": "2026-09-01",
        "owners": [{"ref": "LANDLORD-1", "owner": "commune-1"}],
    }
    refused = as_user(world.commune_user).post("/api/v1/land-operations/", payload, format="json")
    assert refused.status_code == 403 and not LandOperation.objects.exists()
    client = as_user(world.admin_user)
    bad = client.post(
        "/api/v1/land-operations/", {**payload, "owners": [{"ref": "X", "owner": "nobody"}]}, format="json"
    )
    assert bad.status_code == 400 and "owners" in bad.json()["errors"]
    assert not LandOperation.objects.exists() and not ParcelOwnership.objects.exists()
    created = client.post("/api/v1/land-operations/", payload, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["applied_at"] is None and created.json()["effective_date"] == "2026-09-01"
    assert Parcel.objects.get(ref="LANDLORD-1").owner == world.landlord
    assert (
        DirectoryAuditEntry.objects.filter(event="land_operation_recorded", actor=world.admin_user).count()
        == 1
    )
    listed = client.get("/api/v1/land-operations/").json()
    assert [item["name"] for item in listed["results"]] == ["Résidentialisation des Peintres"]
