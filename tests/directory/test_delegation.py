"""The 60 % rule: shares of each owner's land in a sub-sector, in Lambert-93 square metres."""

import pytest
from shapely.geometry import box

from directory import delegation, geo
from directory.models import Layer, OrganisationKind
from tests.factories import make_organisation, make_parcel, make_perimeter

# A sub-sector 10 cells wide in commune 2 (away from the world's own landlord parcel).
LON0, LAT0, LAT1, STEP = 1.72, 48.982, 48.984, 0.0005


def cell(i, lat0=LAT0, lat1=LAT1):
    """The i-th cell of equal width: all cells at the same latitudes have the same Lambert-93 area."""
    return box(LON0 + i * STEP, lat0, LON0 + (i + 1) * STEP, lat1)


@pytest.fixture
def subsector(world):
    return make_perimeter(
        Layer.SUBSECTORS, box(LON0, LAT0, LON0 + 10 * STEP, LAT1), code="ss-1", commune=world.commune_2
    )


def owners(n):
    return [make_organisation(OrganisationKind.LANDLORD, code=f"owner-{i}") for i in range(n)]


def test_an_owner_with_exactly_60_percent_is_not_the_delegated_manager(world, subsector):
    a, b = owners(2)
    for i in range(6):
        make_parcel(cell(i), owner=a)
    for i in range(6, 10):
        make_parcel(cell(i), owner=b)
    assert delegation.recompute_delegation(subsector) is True
    subsector.refresh_from_db()
    assert [(s["owner"], s["share_pct"]) for s in subsector.land_shares] == [
        ("owner-0", 60.0),
        ("owner-1", 40.0),
    ]
    assert subsector.delegated_manager is None
    assert subsector.shares_updated_at is not None


def test_an_owner_with_just_over_the_threshold_is_the_delegated_manager(world, subsector):
    a, b = owners(2)
    for i in range(7):
        make_parcel(cell(i), owner=a)
    for i in range(7, 10):
        make_parcel(cell(i), owner=b)
    delegation.recompute_delegation(subsector)
    subsector.refresh_from_db()
    assert subsector.delegated_manager == a
    assert subsector.land_shares[0]["share_pct"] == pytest.approx(70.0)


def test_a_threshold_set_on_the_sub_sector_replaces_the_default(world, subsector):
    a, b = owners(2)
    for i in range(7):
        make_parcel(cell(i), owner=a)
    for i in range(7, 10):
        make_parcel(cell(i), owner=b)
    subsector.delegation_threshold_pct = 75
    subsector.save()
    delegation.recompute_delegation(subsector)
    subsector.refresh_from_db()
    assert subsector.delegated_manager is None


def test_three_owners_none_over_the_threshold_and_private_land_never_manages(world, subsector):
    a, b, c = owners(3)
    for i, owner in enumerate([a, a, a, a, b, b, b, c, c, None]):
        make_parcel(cell(i), owner=owner)
    delegation.recompute_delegation(subsector)
    subsector.refresh_from_db()
    assert [(s["owner"], s["share_pct"]) for s in subsector.land_shares] == [
        ("owner-0", 40.0),
        ("owner-1", 30.0),
        ("owner-2", 20.0),
        (None, 10.0),
    ]
    assert subsector.delegated_manager is None
    # private owners holding 70 %: still nobody manages
    for parcel in a.parcels.all()[:3]:
        parcel.owner = None
        parcel.save()
    delegation.recompute_delegation(subsector)
    subsector.refresh_from_db()
    assert subsector.land_shares[0]["owner"] is None and subsector.delegated_manager is None


def test_parcels_crossing_the_boundary_count_only_inside(world, subsector):
    a, b = owners(2)
    # a's parcel spans cells 0..5 inside and as much again outside (south): only the inside half counts.
    make_parcel(box(LON0, LAT0 - (LAT1 - LAT0), LON0 + 6 * STEP, LAT1), owner=a)
    make_parcel(box(LON0 + 6 * STEP, LAT0, LON0 + 12 * STEP, LAT1), owner=b)  # 4 of 6 cells inside
    make_parcel(box(LON0 + 20 * STEP, LAT0, LON0 + 30 * STEP, LAT1), owner=b)  # outside, ignored
    delegation.recompute_delegation(subsector)
    subsector.refresh_from_db()
    inside = geo.area_m2(box(LON0, LAT0, LON0 + 10 * STEP, LAT1))
    assert subsector.land_area_m2 == pytest.approx(inside, rel=1e-6)
    assert subsector.land_shares[0]["share_pct"] == pytest.approx(60.0, abs=1e-3)
    assert subsector.delegated_manager is None


def test_a_sub_sector_without_parcels_has_no_shares_and_no_manager(world, subsector):
    delegation.recompute_delegation(subsector)
    subsector.refresh_from_db()
    assert subsector.land_shares == [] and subsector.land_area_m2 == 0
    assert subsector.delegated_manager is None and subsector.shares_updated_at is not None


def test_recomputing_an_unchanged_sub_sector_writes_nothing(world, subsector, django_assert_num_queries):
    (a,) = owners(1)
    make_parcel(cell(0), owner=a)
    assert delegation.recompute_delegation(subsector) is True
    with django_assert_num_queries(3):  # parcels, their ownership periods, the owners: no update
        assert delegation.recompute_delegation(subsector) is False


def test_the_admin_recomputes_when_a_parcel_changes_owner(client, world, subsector):
    a, b = owners(2)
    parcels = [make_parcel(cell(i), owner=a) for i in range(7)] + [
        make_parcel(cell(i), owner=b) for i in range(7, 10)
    ]
    delegation.recompute_delegations()
    subsector.refresh_from_db()
    assert subsector.delegated_manager == a
    client.force_login(world.admin_user)
    parcel = parcels[0]
    response = client.post(
        f"/admin/directory/parcel/{parcel.pk}/change/",
        {
            "ref": parcel.ref,
            "owner": b.pk,
            "domain": "private",
            "geometry": _json(parcel.geometry),
            "properties": "{}",
            "ownerships-TOTAL_FORMS": "0",  # the read-only inline of ownership periods
            "ownerships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    parcel.refresh_from_db()
    assert parcel.owner == b and parcel.ownerships.count() == 2  # the old period closed, a new one opened
    subsector.refresh_from_db()
    assert subsector.delegated_manager is None
    assert subsector.land_shares[0]["share_pct"] == pytest.approx(60.0)


def test_the_recompute_command_reports_the_changes(world, subsector):
    from io import StringIO

    from django.core.management import call_command

    (a,) = owners(1)
    make_parcel(cell(0), owner=a)
    out = StringIO()
    call_command("recompute_delegations", stdout=out)
    assert out.getvalue().strip() == "1 of 1 sub-sectors changed."
    subsector.refresh_from_db()
    assert subsector.delegated_manager == a


def _json(value):
    import json

    return json.dumps(value)


def test_the_admin_recomputes_when_the_threshold_of_a_sub_sector_changes(client, world, subsector):
    import json

    a, b = owners(2)
    for i in range(7):
        make_parcel(cell(i), owner=a)
    for i in range(7, 10):
        make_parcel(cell(i), owner=b)
    delegation.recompute_delegations()
    client.force_login(world.admin_user)
    response = client.post(
        f"/admin/directory/perimeter/{subsector.pk}/change/",
        {
            "layer": "subsectors",
            "code": subsector.code,
            "name": subsector.name,
            "commune": world.commune_2.pk,
            "unit": "",
            "geometry": json.dumps(subsector.geometry),
            "properties": "{}",
            "delegation_threshold_pct": "75",
            "split_rules-TOTAL_FORMS": "0",
            "split_rules-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    subsector.refresh_from_db()
    assert subsector.delegation_threshold_pct == 75 and subsector.delegated_manager is None


def test_the_admin_action_recomputes_the_selected_sub_sectors(client, world, subsector):
    (a,) = owners(1)
    make_parcel(cell(0), owner=a)
    client.force_login(world.admin_user)
    response = client.post(
        "/admin/directory/perimeter/",
        {"action": "recompute_delegation", "_selected_action": [subsector.pk, world.qpv.pk]},
        follow=True,
    )
    assert response.status_code == 200
    subsector.refresh_from_db()
    assert subsector.delegated_manager == a
    assert (
        "1 sub-sector changed" in response.content.decode() or "1 sous-secteur" in response.content.decode()
    )
