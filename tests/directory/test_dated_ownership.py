"""Dated ownership: periods closed and opened by a change of owner, overlaps refused, land operations entered
ahead of their date, and routing and land shares read as of a date."""

import datetime as dt

import pytest
from shapely.geometry import box

from directory import actions, delegation, geo, land, routing
from directory.models import (
    Competence,
    DirectoryAuditEntry,
    LandOperation,
    Layer,
    Parcel,
    ParcelOwnership,
    SirenMapping,
)
from engine.errors import InvalidFields, RoleNotAllowed
from engine.models import OutboxEvent
from tests.factories import POINT_IN_QPV, make_category, make_parcel, make_perimeter, make_user

TODAY = dt.date(2026, 6, 1)
NEXT_MONTH = dt.date(2026, 7, 1)
# A sub-sector in commune 2; the landlord owns its west 70 %, the community the east 30 %.
SUBSECTOR_BOX = (1.725, 48.982, 1.735, 48.988)
POINT_ON_CU_LAND = (1.734, 48.985)


@pytest.fixture
def today(time_machine):
    time_machine.move_to(dt.datetime(2026, 6, 1, 10, 0, tzinfo=dt.UTC), tick=False)
    return TODAY


@pytest.fixture
def rules(world):
    cat = make_category(code="espaces-verts")
    Competence.objects.create(unit=world.ctc, category=cat)
    Competence.objects.create(unit=world.ctc_2, category=cat)
    Competence.objects.create(unit=world.landlord_agency, category=cat)
    return cat


@pytest.fixture
def subsector(world, rules, today):
    perimeter = make_perimeter(Layer.SUBSECTORS, box(*SUBSECTOR_BOX), code="ss-1", commune=world.commune_2)
    make_parcel(box(1.725, 48.982, 1.732, 48.988), owner=world.landlord, ref="SS-A")
    make_parcel(box(1.732, 48.982, 1.735, 48.988), owner=world.cu, domain="public", ref="SS-B")
    delegation.recompute_delegation(perimeter)
    perimeter.refresh_from_db()
    assert perimeter.delegated_manager == world.landlord
    return perimeter


def landlord_parcel():
    return Parcel.objects.get(ref="LANDLORD-1")


def periods(ref):
    return [
        (p.owner.code if p.owner else None, p.valid_from, p.valid_until)
        for p in ParcelOwnership.objects.filter(parcel__ref=ref).select_related("owner")
    ]


def decided(decision):
    return decision.decided_by, decision.handler.code if decision.handler else None


def test_a_change_of_owner_closes_the_old_period_and_opens_a_new_one(world, today):
    actions.do_change_parcel_owner(landlord_parcel(), world.commune, acting_user=world.admin_user)
    assert periods("LANDLORD-1") == [("landlord", None, TODAY), ("commune-1", TODAY, None)]
    assert landlord_parcel().owner == world.commune
    entry = DirectoryAuditEntry.objects.get(event="parcel_owner_changed")
    assert entry.actor == world.admin_user and entry.target == "parcel:LANDLORD-1"
    assert entry.data["old_owner"] == world.landlord.pk and entry.data["new_owner"] == world.commune.pk
    assert entry.data["valid_from"] == "2026-06-01"


def test_the_same_owner_again_writes_nothing(world, today):
    actions.do_change_parcel_owner(landlord_parcel(), world.commune, acting_user=None)
    count = DirectoryAuditEntry.objects.count()
    actions.do_change_parcel_owner(landlord_parcel(), world.commune, acting_user=None)
    assert DirectoryAuditEntry.objects.count() == count
    assert len(periods("LANDLORD-1")) == 2


def test_an_edit_of_the_owner_through_save_parcel_is_dated_too(world, today):
    parcel = landlord_parcel()
    parcel.owner = world.cu
    actions.do_save_parcel(parcel, acting_user=None, changed_fields=["owner"])
    assert periods("LANDLORD-1") == [("landlord", None, TODAY), ("cu", TODAY, None)]
    assert landlord_parcel().owner == world.cu


def test_a_change_ahead_of_its_date_routes_only_from_that_date(world, rules, today):
    actions.do_change_parcel_owner(landlord_parcel(), world.cu, on=NEXT_MONTH, acting_user=None)
    assert landlord_parcel().owner == world.landlord  # today's owner is unchanged
    now = dt.datetime(2026, 6, 1, 10, 0, tzinfo=dt.UTC)
    assert decided(routing.resolve(*POINT_IN_QPV, "espaces-verts", at=now)) == (3, "landlord-agency")
    later = dt.datetime(2026, 7, 2, 10, 0, tzinfo=dt.UTC)
    assert decided(routing.resolve(*POINT_IN_QPV, "espaces-verts", at=later)) == (5, "ctc-1")
    # A request filed today keeps its decision, read at its filing date, after the change.
    assert decided(routing.resolve(*POINT_IN_QPV, "espaces-verts", at=now)) == (3, "landlord-agency")


def test_the_job_makes_a_change_current_once_its_date_has_come(world, today, time_machine):
    actions.do_change_parcel_owner(landlord_parcel(), world.cu, on=NEXT_MONTH, acting_user=None)
    assert land.apply_due_land_changes() == 0
    time_machine.move_to(dt.datetime(2026, 7, 1, 6, 0, tzinfo=dt.UTC), tick=False)
    assert land.apply_due_land_changes() == 1
    assert landlord_parcel().owner == world.cu
    assert land.apply_due_land_changes() == 0  # claimed once


def test_a_change_before_one_already_recorded_is_refused_and_writes_nothing(world, today):
    actions.do_change_parcel_owner(landlord_parcel(), world.cu, on=NEXT_MONTH, acting_user=None)
    before = (
        ParcelOwnership.objects.count(),
        DirectoryAuditEntry.objects.count(),
        OutboxEvent.objects.count(),
    )
    with pytest.raises(InvalidFields) as refused:
        actions.do_change_parcel_owner(landlord_parcel(), world.commune, on=TODAY, acting_user=None)
    assert "valid_from" in refused.value.errors and "2026-07-01" in refused.value.errors["valid_from"]
    after = (
        ParcelOwnership.objects.count(),
        DirectoryAuditEntry.objects.count(),
        OutboxEvent.objects.count(),
    )
    assert after == before


def test_an_overlapping_period_is_refused_and_writes_nothing(world, today):
    parcel = make_parcel(box(1.700, 48.996, 1.704, 49.0), ref="OLD-1")
    actions.do_record_ownership_period(
        parcel,
        world.landlord,
        valid_from=dt.date(2010, 1, 1),
        valid_until=dt.date(2020, 1, 1),
        acting_user=None,
    )
    count = DirectoryAuditEntry.objects.count()
    with pytest.raises(InvalidFields) as refused:
        actions.do_record_ownership_period(
            parcel, world.cu, valid_from=dt.date(2019, 6, 1), valid_until=None, acting_user=None
        )
    assert "2010-01-01" in refused.value.errors["valid_from"]
    assert periods("OLD-1") == [("landlord", dt.date(2010, 1, 1), dt.date(2020, 1, 1))]
    assert DirectoryAuditEntry.objects.count() == count
    with pytest.raises(InvalidFields) as refused:
        actions.do_record_ownership_period(
            parcel,
            world.cu,
            valid_from=dt.date(2021, 1, 1),
            valid_until=dt.date(2020, 1, 1),
            acting_user=None,
        )
    assert "valid_until" in refused.value.errors
    actions.do_record_ownership_period(
        parcel, world.cu, valid_from=dt.date(2020, 1, 1), valid_until=None, acting_user=None
    )
    assert Parcel.objects.get(ref="OLD-1").owner == world.cu


def test_a_person_without_the_permission_may_not_change_owners(world, today):
    with pytest.raises(RoleNotAllowed):
        actions.do_change_parcel_owner(landlord_parcel(), world.cu, acting_user=world.commune_user)
    with pytest.raises(RoleNotAllowed):
        actions.do_record_land_operation(
            kind="remembrement", name="X", effective_date=TODAY, owners={}, acting_user=world.landlord_agent
        )
    assert not ParcelOwnership.objects.exists() and not LandOperation.objects.exists()


def test_a_remembrement_entered_ahead_changes_shares_and_routing_from_its_date(world, subsector, today):
    west = geo.geojson_from_shape(box(1.725, 48.982, 1.7285, 48.988))
    east = geo.geojson_from_shape(box(1.7285, 48.982, 1.732, 48.988))
    operation = actions.do_record_land_operation(
        kind="remembrement",
        name="Remembrement îlot A",
        project="NPNRU Val Fourré",
        effective_date=NEXT_MONTH,
        retire=["SS-A"],
        create=[
            {"ref": "SS-A1", "geometry": west, "domain": "public", "owner": world.cu},
            {"ref": "SS-A2", "geometry": east, "domain": "private", "owner": world.landlord},
        ],
        acting_user=world.admin_user,
    )
    assert operation.applied_at is None
    subsector.refresh_from_db()
    # Today nothing changed: the landlord still holds 70 % and manages the sub-sector.
    assert subsector.delegated_manager == world.landlord
    assert [entry["from"] for entry in subsector.delegation_schedule] == ["2026-07-01"]
    assert subsector.delegation_schedule[0]["manager"] == world.cu.pk  # 65 %: the community manages it
    shares_then, _total = delegation.compute_shares(subsector, NEXT_MONTH)
    assert [(s.owner_code, round(s.share_pct)) for s in shares_then] == [("cu", 65), ("landlord", 35)]
    now = dt.datetime(2026, 6, 1, 10, tzinfo=dt.UTC)
    assert decided(routing.resolve(*POINT_ON_CU_LAND, "espaces-verts", at=now)) == (2, "landlord-agency")
    then = dt.datetime(2026, 7, 1, 10, tzinfo=dt.UTC)
    decision = routing.resolve(1.726, 48.985, "espaces-verts", at=then)
    assert decided(decision) == (5, "ctc-2") and decision.parcel.ref == "SS-A1"
    assert routing.resolve(1.726, 48.985, "espaces-verts", at=now).parcel.ref == "SS-A"
    entry = DirectoryAuditEntry.objects.get(event="land_operation_recorded")
    assert entry.data["parcels_before"] == ["SS-A"] and entry.data["parcels_after"] == ["SS-A1", "SS-A2"]


def test_an_operation_naming_an_unknown_parcel_is_refused_and_writes_nothing(world, today):
    count = DirectoryAuditEntry.objects.count()
    with pytest.raises(InvalidFields) as refused:
        actions.do_record_land_operation(
            kind="residentialisation",
            name="Résidentialisation",
            effective_date=NEXT_MONTH,
            owners={"LANDLORD-1": world.cu, "NOPE": world.cu},
            acting_user=None,
        )
    assert "NOPE" in refused.value.errors["owners"]
    assert not LandOperation.objects.exists() and not ParcelOwnership.objects.exists()
    assert DirectoryAuditEntry.objects.count() == count


def test_a_residentialisation_changes_owners_from_its_date(world, rules, today, time_machine):
    actions.do_record_land_operation(
        kind="residentialisation",
        name="Résidentialisation des tours",
        effective_date=NEXT_MONTH,
        owners={"LANDLORD-1": world.commune},
        acting_user=None,
    )
    assert periods("LANDLORD-1") == [("landlord", None, NEXT_MONTH), ("commune-1", NEXT_MONTH, None)]
    time_machine.move_to(dt.datetime(2026, 7, 1, 6, 0, tzinfo=dt.UTC), tick=False)
    assert land.apply_due_land_changes() == 1
    assert LandOperation.objects.get().applied_at is not None
    assert landlord_parcel().owner == world.commune


def test_a_siren_mapping_gives_its_periods_an_owner(world, today):
    parcel = make_parcel(box(1.700, 48.996, 1.704, 49.0), ref="SIREN-1")
    actions.do_change_parcel_owner(parcel, None, siren="123456789", owner_name="SA HLM X", acting_user=None)
    assert Parcel.objects.get(ref="SIREN-1").owner is None
    with pytest.raises(InvalidFields):
        actions.do_save_siren_mapping("12345", world.landlord, acting_user=None)
    actions.do_save_siren_mapping("123 456 789", world.landlord, acting_user=world.admin_user)
    assert SirenMapping.objects.get().siren == "123456789"
    assert Parcel.objects.get(ref="SIREN-1").owner == world.landlord
    assert DirectoryAuditEntry.objects.get(event="siren_mapped").data["parcels"] == 1
    with pytest.raises(RoleNotAllowed):
        actions.do_save_siren_mapping("123456789", world.cu, acting_user=make_user(world.cu))


def test_the_job_scans_the_day_s_periods_once_per_territory_version(world, today, django_assert_num_queries):
    land.apply_due_land_changes()
    # The version row, a savepoint and its release, the pending operations: no scan of the periods.
    with django_assert_num_queries(4):
        assert land.apply_due_land_changes() == 0
    actions.do_change_parcel_owner(landlord_parcel(), world.cu, on=NEXT_MONTH, acting_user=None)
    with django_assert_num_queries(5):  # the territory changed: the periods are scanned again
        assert land.apply_due_land_changes() == 0


# --- the GeoJSON parcels layer dates owner changes; land changes emit outbox events ---------------


def parcels_file(tmp_path, owner):
    """The parcels layer with LANDLORD-1 (the world's landlord parcel, same outline) owned by `owner`."""
    import json

    parcel = landlord_parcel()
    path = tmp_path / "parcels.geojson"
    feature = {
        "type": "Feature",
        "geometry": parcel.geometry,
        "properties": {"ref": "LANDLORD-1", "owner": owner, "domain": "private"},
    }
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}), encoding="utf-8")
    return str(path)


def test_import_geojson_of_parcels_dates_a_change_of_owner_instead_of_overwriting_it(
    world, rules, today, tmp_path
):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command(
        "import_geojson", "--layer", "parcels", parcels_file(tmp_path, "commune-1"), "--replace", stdout=out
    )
    assert "New owner from today for 1 parcel(s)" in out.getvalue()
    assert periods("LANDLORD-1") == [("landlord", None, TODAY), ("commune-1", TODAY, None)]
    assert landlord_parcel().owner == world.commune
    # The day before, the landlord still owned it: routing as of then keeps it.
    yesterday = dt.datetime(2026, 5, 31, 12, 0, tzinfo=dt.UTC)
    assert decided(routing.resolve(*POINT_IN_QPV, "espaces-verts", at=yesterday)) == (3, "landlord-agency")
    entry = DirectoryAuditEntry.objects.get(event="layer_imported")
    assert entry.data["owners_changed"] == 1
    event = OutboxEvent.objects.get(kind="land.layer_imported")
    assert event.payload["owners_changed"] == 1 and event.payload["target"] == "layer:parcels"
    # The same file again the same day changes nothing more.
    call_command(
        "import_geojson", "--layer", "parcels", parcels_file(tmp_path, "commune-1"), "--replace", stdout=out
    )
    assert periods("LANDLORD-1") == [("landlord", None, TODAY), ("commune-1", TODAY, None)]


def test_import_geojson_of_parcels_is_refused_over_an_owner_recorded_ahead(world, today, tmp_path):
    from django.core.management import CommandError, call_command

    actions.do_change_parcel_owner(landlord_parcel(), world.cu, on=NEXT_MONTH, acting_user=None)
    before = (
        periods("LANDLORD-1"),
        landlord_parcel().owner_id,
        DirectoryAuditEntry.objects.count(),
        OutboxEvent.objects.count(),
    )
    with pytest.raises(CommandError) as refused:
        call_command("import_geojson", "--layer", "parcels", parcels_file(tmp_path, "commune-1"), "--replace")
    assert "feature 0 (code LANDLORD-1)" in str(refused.value) and "2026-07-01" in str(refused.value)
    after = (
        periods("LANDLORD-1"),
        landlord_parcel().owner_id,
        DirectoryAuditEntry.objects.count(),
        OutboxEvent.objects.count(),
    )
    assert after == before


def test_land_changes_emit_outbox_events_beside_their_audit_entries(world, today):
    actions.do_change_parcel_owner(landlord_parcel(), world.commune, acting_user=world.admin_user)
    event = OutboxEvent.objects.get(kind="land.parcel_owner_changed")
    assert event.case_id is None and event.delivered_at is None
    assert event.payload["target"] == "parcel:LANDLORD-1"
    assert event.payload["old_owner"] == world.landlord.pk and event.payload["new_owner"] == world.commune.pk
    operation = actions.do_record_land_operation(
        kind="residentialisation",
        name="Résidence du Parc",
        effective_date=NEXT_MONTH,
        owners={"LANDLORD-1": world.landlord},
        acting_user=None,
    )
    recorded = OutboxEvent.objects.get(kind="land.land_operation_recorded")
    assert recorded.payload["target"] == f"land-operation:{operation.pk}"
    assert recorded.payload["effective_date"] == "2026-07-01"
    actions.do_save_siren_mapping("782855696", world.landlord, acting_user=None)
    assert OutboxEvent.objects.filter(kind="land.siren_mapped").count() == 1
    kinds = sorted(OutboxEvent.objects.filter(kind__startswith="land.").values_list("kind", flat=True))
    audited = sorted(f"land.{e}" for e in DirectoryAuditEntry.objects.values_list("event", flat=True))
    assert kinds == audited
