"""The map shows the land owners of a chosen date: landlords' land and sub-sectors' managers."""

import datetime as dt

import pytest
from django.urls import reverse
from shapely.geometry import box

from directory import actions, delegation
from directory.models import Layer, Parcel
from tests.factories import make_parcel, make_perimeter


@pytest.fixture
def sold_next_month(world, time_machine):
    """The landlord's parcel passes to the commune on 1 July 2026 (entered on 1 June)."""
    time_machine.move_to(dt.datetime(2026, 6, 1, 10, 0, tzinfo=dt.UTC), tick=False)
    subsector = make_perimeter(
        Layer.SUBSECTORS, box(1.725, 48.982, 1.735, 48.988), code="ss-1", name="Îlot", commune=world.commune_2
    )
    parcel = make_parcel(box(1.725, 48.982, 1.735, 48.988), owner=world.landlord, ref="SS-ALL")
    delegation.recompute_delegation(subsector)
    for each in (Parcel.objects.get(ref="LANDLORD-1"), parcel):
        actions.do_change_parcel_owner(each, world.commune, on=dt.date(2026, 7, 1), acting_user=None)


def landlord_refs(client, **params):
    response = client.get(reverse("map-layers"), {"layer": "landlord_land", **params})
    assert response.status_code == 200
    return sorted(f["properties"]["code"] for f in response.json()["features"])


def test_the_map_layers_show_the_landlords_land_of_the_chosen_date(client, world, sold_next_month):
    client.force_login(world.commune_user)
    assert landlord_refs(client) == ["LANDLORD-1", "SS-ALL"]
    assert landlord_refs(client, at="2026-07-01") == []
    assert landlord_refs(client, at="2020-01-01") == ["LANDLORD-1", "SS-ALL"]
    bad = client.get(reverse("map-layers"), {"at": "demain"})
    assert bad.status_code == 400


def test_the_map_page_sums_up_land_and_managers_as_of_the_chosen_date(client, world, sold_next_month):
    client.force_login(world.commune_user)
    today = client.get(reverse("map"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<tr><td>Bailleur</td><td>2</td>" in today
    assert "<tr><td>Îlot</td><td>Bailleur</td>" in today
    later = client.get(reverse("map"), {"at": "2026-07-15"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<tr><td>Bailleur</td>" not in later and "No landlord parcel yet." in later
    assert "<tr><td>Îlot</td><td>Commune Une</td>" in later
    assert 'value="2026-07-15"' in later and "?at=2026-07-15" in later  # the map's data follow the date
    wrong = client.get(reverse("map"), {"at": "15/07/2026"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Enter a date as YYYY-MM-DD." in wrong and 'aria-invalid="true"' in wrong
