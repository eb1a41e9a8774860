"""The routing resolver: each of the six rules, their order, and the point outside the territory.

The world (tests/factories.py): commune 1 spans lon 1.70-1.72, commune 2 lon 1.72-1.74 (lat 48.98-49.00);
a QPV in commune 1 (1.705-1.715 x 48.985-48.995) covered by the landlord's parcel LANDLORD-1.
"""

import datetime as dt

import pytest
from django.db import transaction
from django.db.models import F
from shapely.geometry import box

from directory import delegation, routing
from directory.models import Competence, Layer, LayerVersion, SplitRule
from tests.factories import (
    POINT_IN_COMMUNE_1,
    POINT_IN_COMMUNE_2,
    POINT_IN_QPV,
    POINT_OUTSIDE,
    make_category,
    make_parcel,
    make_perimeter,
    make_unit,
)

# A sub-sector in commune 2: lon 1.725-1.735, lat 48.982-48.988; the landlord owns 70 % of it.
SUBSECTOR_BOX = (1.725, 48.982, 1.735, 48.988)
POINT_IN_SUBSECTOR = (1.734, 48.985)  # on the community's parcel (the east 30 %)


@pytest.fixture
def rules(world):
    """Categories and competences: waste handled directly, CTCs by territory, the landlord on its land."""
    cats = {
        code: make_category(code=code) for code in ("dechets-diffus", "eclairage", "espaces-verts", "tags")
    }
    waste_direct = Competence.objects.create(
        unit=world.waste, category=cats["dechets-diffus"], direct_handling=True
    )
    for code in ("dechets-diffus", "eclairage", "espaces-verts"):
        Competence.objects.create(unit=world.ctc, category=cats[code])
        Competence.objects.create(unit=world.ctc_2, category=cats[code])
    Competence.objects.create(unit=world.landlord_agency, category=cats["dechets-diffus"])
    Competence.objects.create(unit=world.landlord_agency, category=cats["espaces-verts"])
    return cats, waste_direct


@pytest.fixture
def subsector(world, rules):
    perimeter = make_perimeter(
        Layer.SUBSECTORS, box(*SUBSECTOR_BOX), code="ss-1", name="SS", commune=world.commune_2
    )
    make_parcel(box(1.725, 48.982, 1.732, 48.988), owner=world.landlord, ref="SS-A")
    make_parcel(box(1.732, 48.982, 1.735, 48.988), owner=world.cu, domain="public", ref="SS-B")
    delegation.recompute_delegation(perimeter)
    perimeter.refresh_from_db()
    assert perimeter.delegated_manager == world.landlord
    return perimeter


def decided(decision):
    return decision.decided_by, decision.handler.code if decision.handler else None


def considered(decision):
    return [(step.rule, step.decided) for step in decision.explanation]


def test_rule_6_falls_back_to_the_ctc_of_the_territory_flagged_to_qualify(world, rules):
    decision = routing.resolve(*POINT_IN_COMMUNE_2, "tags")
    assert decided(decision) == (6, "ctc-2")
    assert decision.to_qualify is True
    assert considered(decision) == [(1, False), (2, False), (3, False), (4, False), (5, False), (6, True)]
    assert decision.commune.insee == "78902" and decision.qpv is False
    assert "CTC Deux" in decision.explanation[-1].detail


def test_rule_6_prefers_the_ctc_of_the_sector_the_point_is_in(world, rules):
    other_ctc = make_unit(world.cu, "ctc", code="ctc-sector", name="CTC Secteur")
    make_perimeter(Layer.SECTORS, box(1.725, 48.98, 1.74, 49.0), code="sector-x", unit=other_ctc)
    assert decided(routing.resolve(*POINT_IN_COMMUNE_2, "tags")) == (6, "ctc-sector")


def test_rule_5_picks_the_competence_covering_the_commune(world, rules):
    decision = routing.resolve(*POINT_IN_COMMUNE_1, "eclairage")
    assert decided(decision) == (5, "ctc-1") and decision.to_qualify is False
    assert decided(routing.resolve(*POINT_IN_COMMUNE_2, "eclairage")) == (5, "ctc-2")


def test_rule_5_prefers_a_seasonal_competence_in_its_season_only(world, rules):
    cats, _ = rules
    mower = make_unit(world.contractor, "agency", code="mower")
    seasonal = Competence.objects.create(
        unit=mower, category=cats["eclairage"], season_start="04-01", season_end="10-15"
    )
    seasonal.communes.set([world.commune])
    summer = dt.datetime(2026, 7, 1, 12, tzinfo=dt.UTC)
    winter = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)
    assert decided(routing.resolve(*POINT_IN_COMMUNE_1, "eclairage", at=summer)) == (5, "mower")
    assert decided(routing.resolve(*POINT_IN_COMMUNE_1, "eclairage", at=winter)) == (5, "ctc-1")
    assert decided(routing.resolve(*POINT_IN_COMMUNE_2, "eclairage", at=summer)) == (5, "ctc-2")


def test_the_season_follows_the_clock_when_no_time_is_given(world, rules, time_machine):
    cats, _ = rules
    mower = make_unit(world.contractor, "agency", code="mower")
    Competence.objects.create(
        unit=mower, category=cats["eclairage"], season_start="11-01", season_end="02-28"
    )
    mower.territory.set([world.commune])
    time_machine.move_to(dt.datetime(2027, 1, 15, 9, tzinfo=dt.UTC))
    assert decided(routing.resolve(*POINT_IN_COMMUNE_1, "eclairage")) == (5, "mower")
    time_machine.move_to(dt.datetime(2027, 3, 15, 9, tzinfo=dt.UTC))
    assert decided(routing.resolve(*POINT_IN_COMMUNE_1, "eclairage")) == (5, "ctc-1")


def test_rule_4_direct_handling_comes_before_the_territorial_competence(world, rules):
    decision = routing.resolve(*POINT_IN_COMMUNE_1, "dechets-diffus")
    assert decided(decision) == (4, "waste")
    assert considered(decision) == [(1, False), (2, False), (3, False), (4, True)]


def test_rule_4_needs_the_commune_in_the_direct_handling_territory(world, rules):
    _cats, waste_direct = rules
    waste_direct.communes.set([world.commune_2])
    assert decided(routing.resolve(*POINT_IN_COMMUNE_1, "dechets-diffus")) == (5, "ctc-1")
    assert decided(routing.resolve(*POINT_IN_COMMUNE_2, "dechets-diffus")) == (4, "waste")


def test_rule_3_the_parcel_owner_competence_comes_before_direct_handling(world, rules):
    decision = routing.resolve(*POINT_IN_QPV, "dechets-diffus")
    assert decided(decision) == (3, "landlord-agency")
    assert decision.parcel.ref == "LANDLORD-1" and decision.qpv is True
    assert [p.code for p in decision.perimeters] == ["commune-1", "qpv-1"]
    assert "Bailleur" in decision.explanation[-1].detail


def test_rule_3_passes_when_the_owner_has_no_competence_for_the_category(world, rules):
    decision = routing.resolve(*POINT_IN_QPV, "eclairage")
    assert decided(decision) == (5, "ctc-1")
    assert "n'a pas de compétence" in decision.explanation[2].detail


def test_rule_3_passes_on_the_community_own_land(world, rules):
    make_parcel(box(1.700, 48.996, 1.704, 49.0), owner=world.cu, ref="CU-1")
    decision = routing.resolve(*POINT_IN_COMMUNE_1, "dechets-diffus")
    assert decided(decision) == (4, "waste") and decision.parcel.ref == "CU-1"


def test_rule_2_the_delegated_manager_comes_before_the_parcel_owner(world, subsector):
    decision = routing.resolve(*POINT_IN_SUBSECTOR, "dechets-diffus")
    assert decided(decision) == (2, "landlord-agency")
    assert decision.parcel.ref == "SS-B"  # the community's parcel: rule 3 alone would not give the landlord
    assert considered(decision) == [(1, False), (2, True)]


def test_rule_2_uses_the_manager_main_unit_when_it_has_no_competence_for_the_category(world, subsector):
    assert decided(routing.resolve(*POINT_IN_SUBSECTOR, "tags")) == (2, "landlord-agency")


def test_rule_2_stops_applying_when_the_threshold_is_raised(world, subsector):
    subsector.delegation_threshold_pct = 80
    subsector.save()
    delegation.recompute_delegation(subsector)
    assert decided(routing.resolve(*POINT_IN_SUBSECTOR, "dechets-diffus")) == (4, "waste")


def test_rule_1_the_explicit_split_comes_before_everything(world, subsector, rules):
    cats, _ = rules
    regie_unit = make_unit(world.contractor, "agency", code="regie-agency")
    SplitRule.objects.create(perimeter=subsector, category=cats["dechets-diffus"], unit=regie_unit)
    decision = routing.resolve(*POINT_IN_SUBSECTOR, "dechets-diffus")
    assert decided(decision) == (1, "regie-agency")
    assert considered(decision) == [(1, True)]
    assert decision.handler.organisation.code == "regie"
    # the split is per category: another category goes on to rule 2
    assert decided(routing.resolve(*POINT_IN_SUBSECTOR, "espaces-verts")) == (2, "landlord-agency")


def test_a_point_outside_the_territory_is_refused(world, rules):
    with pytest.raises(routing.OutsideTerritory, match="hors du territoire de la communauté urbaine"):
        routing.resolve(*POINT_OUTSIDE, "tags")


def test_an_unknown_category_or_bad_coordinates_are_refused(world, rules):
    with pytest.raises(routing.UnknownCategory, match="Catégorie nope inconnue"):
        routing.resolve(*POINT_IN_COMMUNE_1, "nope")
    with pytest.raises(routing.RoutingError, match="doivent être des nombres"):
        routing.resolve("x", 48.9, "tags")
    with pytest.raises(routing.RoutingError, match="comprise entre -180 et 180"):
        routing.resolve(200, 48.9, "tags")


def test_a_category_instance_is_accepted(world, rules):
    cats, _ = rules
    assert decided(routing.resolve(*POINT_IN_COMMUNE_1, cats["eclairage"])) == (5, "ctc-1")


def test_the_index_costs_one_query_per_call_and_is_rebuilt_after_a_write(
    world, rules, django_assert_num_queries
):
    cats, _ = rules
    routing.resolve(*POINT_IN_COMMUNE_1, "eclairage")  # builds the index
    with django_assert_num_queries(1):
        assert decided(routing.resolve(*POINT_IN_COMMUNE_1, "eclairage")) == (5, "ctc-1")
    version = LayerVersion.current()
    Competence.objects.create(unit=world.waste, category=cats["eclairage"], direct_handling=True)
    assert LayerVersion.current() == version + 1
    assert decided(routing.resolve(*POINT_IN_COMMUNE_1, "eclairage")) == (4, "waste")


def test_a_change_from_another_process_is_seen_through_the_version_row(world, rules):
    routing.resolve(*POINT_IN_COMMUNE_1, "eclairage")
    built = routing.get_index()
    # another process writes with a queryset update (no signal here) and bumps the version row
    Competence.objects.filter(unit=world.ctc, category__code="eclairage").update(direct_handling=True)
    assert routing.get_index() is built
    LayerVersion.bump()
    assert routing.get_index() is not built
    assert decided(routing.resolve(*POINT_IN_COMMUNE_1, "eclairage")) == (4, "ctc-1")


def test_a_rules_change_keeps_the_spatial_index_and_a_parcel_change_rebuilds_it(world, rules):
    cats, _ = rules
    routing.resolve(*POINT_IN_COMMUNE_1, "eclairage")
    first = routing.get_index()
    Competence.objects.create(unit=world.waste, category=cats["tags"], direct_handling=True)
    second = routing.get_index()
    assert second is not first and second.parcel_grid is first.parcel_grid
    assert decided(routing.resolve(*POINT_IN_COMMUNE_2, "tags")) == (4, "waste")
    make_parcel(box(1.731, 48.989, 1.732, 48.991), owner=world.landlord, ref="NEW-1")
    third = routing.get_index()
    assert third.parcel_grid is not second.parcel_grid and third.competences is second.competences
    assert decided(routing.resolve(1.7315, 48.990, "dechets-diffus")) == (3, "landlord-agency")


def test_in_background_mode_the_old_index_serves_while_the_new_one_is_built(
    world, rules, settings, monkeypatch
):
    """No request waits for the spatial index: after a parcel change the previous index answers at once and
    the rebuild runs aside (here the thread's work is run by hand, on the test's own connection)."""
    settings.ROUTING_INDEX_REBUILD = "background"
    monkeypatch.setitem(routing._current, "index", None)  # not another test's index
    monkeypatch.setitem(routing._building, "thread", None)
    started = []
    monkeypatch.setattr(routing, "_start_thread", started.append)
    first = routing.get_index()
    make_parcel(box(1.731, 48.989, 1.732, 48.991), owner=world.landlord, ref="NEW-1")
    assert routing.get_index() is first and len(started) == 1
    assert decided(routing.resolve(1.7315, 48.990, "dechets-diffus")) == (4, "waste")  # the old territory
    routing.get_index()
    assert len(started) == 1  # one rebuild at a time
    started[0]()
    assert routing.get_index() is not first
    assert decided(routing.resolve(1.7315, 48.990, "dechets-diffus")) == (3, "landlord-agency")
    # A rules change alone is applied at once, keeping the spatial part.
    Competence.objects.create(unit=world.waste, category=rules[0]["tags"], direct_handling=True)
    assert decided(routing.resolve(*POINT_IN_COMMUNE_2, "tags")) == (4, "waste")
    assert len(started) == 1


def test_warm_up_builds_the_index_before_the_first_request(world, rules, django_assert_num_queries):
    routing._current["index"] = None
    assert routing.warm_up() is not None
    with django_assert_num_queries(1):  # the version row only
        routing.get_index()


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_versions_are_read_at_most_once_per_delay(
    world, rules, settings, monkeypatch, django_assert_num_queries
):
    settings.ROUTING_INDEX_CHECK_MS = 1000
    clock = [1000.0]
    monkeypatch.setattr(routing, "_clock", lambda: clock[0])
    cats, _ = rules
    routing.resolve(*POINT_IN_COMMUNE_1, "eclairage")  # builds the index and reads the versions
    with django_assert_num_queries(0):
        for _ in range(3):
            assert decided(routing.resolve(*POINT_IN_COMMUNE_1, "eclairage")) == (5, "ctc-1")
    # Another process changes the rules and bumps the row (no bump in this process).
    Competence.objects.filter(unit=world.ctc, category__code="eclairage").update(direct_handling=True)
    LayerVersion.objects.filter(name=LayerVersion.RULES).update(version=F("version") + 1, token="other")
    clock[0] += 0.9
    with django_assert_num_queries(0):
        assert decided(routing.resolve(*POINT_IN_COMMUNE_1, "eclairage")) == (5, "ctc-1")
    clock[0] += 0.2  # past the delay: read again, and the rules part rebuilt
    assert decided(routing.resolve(*POINT_IN_COMMUNE_1, "eclairage")) == (4, "ctc-1")
    # A change made by this process is seen at once, within the delay.
    Competence.objects.create(unit=world.waste, category=cats["tags"], direct_handling=True)
    assert decided(routing.resolve(*POINT_IN_COMMUNE_2, "tags")) == (4, "waste")
    settings.ROUTING_INDEX_CHECK_MS = 0
    with django_assert_num_queries(1):
        routing.resolve(*POINT_IN_COMMUNE_2, "tags")


@pytest.mark.django_db(transaction=True)
def test_a_change_rolled_back_is_not_served_from_the_cached_versions(
    world, rules, monkeypatch, django_assert_num_queries
):
    monkeypatch.setattr(routing, "_clock", lambda: 1000.0)  # the delay never passes
    cats, _ = rules
    routing.resolve(*POINT_IN_COMMUNE_1, "eclairage")
    with pytest.raises(RuntimeError), transaction.atomic():
        Competence.objects.create(unit=world.waste, category=cats["eclairage"], direct_handling=True)
        assert decided(routing.resolve(*POINT_IN_COMMUNE_1, "eclairage")) == (4, "waste")
        with django_assert_num_queries(1):  # inside the transaction that bumped: read on every call
            routing.resolve(*POINT_IN_COMMUNE_1, "eclairage")
        raise RuntimeError
    assert decided(routing.resolve(*POINT_IN_COMMUNE_1, "eclairage")) == (5, "ctc-1")
    with django_assert_num_queries(0):
        assert decided(routing.resolve(*POINT_IN_COMMUNE_1, "eclairage")) == (5, "ctc-1")


def test_a_worker_maps_the_parcels_file_written_for_the_territory_version(
    world, rules, settings, tmp_path, django_assert_max_num_queries
):
    """The worker job writes the parcels' part once per territory version; a fresh process maps it
    instead of reading the parcels from the database, and decides the same."""
    settings.ROUTING_INDEX_DIR = str(tmp_path)
    make_parcel(box(1.731, 48.989, 1.732, 48.991), owner=world.landlord, ref="NEW-1")
    path = routing.write_index_file()
    assert path is not None and path.exists()
    assert routing.write_index_file() is None  # already there for this version
    built = routing.RoutingIndex.from_database()
    routing._current["index"] = None
    with django_assert_max_num_queries(12) as captured:
        mapped = routing.RoutingIndex.from_database()
    assert not any("directory_parcel" in q["sql"] for q in captured.captured_queries)
    assert list(mapped.parcel_refs) == list(built.parcel_refs)
    routing._current["index"] = mapped
    assert decided(routing.resolve(1.7315, 48.990, "dechets-diffus")) == (3, "landlord-agency")
    assert decided(routing.resolve(*POINT_IN_QPV, "dechets-diffus")) == (3, "landlord-agency")
    # A change of the territory: a new version, a new file; the old one is not read for it.
    make_parcel(box(1.733, 48.989, 1.734, 48.991), owner=world.landlord, ref="NEW-2")
    assert routing.write_index_file() != path
    assert "NEW-2" in list(routing.RoutingIndex.from_database().parcel_refs)
    assert len(list(tmp_path.glob("parcels-*.bin"))) == 2


def test_an_unreadable_parcels_file_is_rebuilt_from_the_database(world, rules, settings, tmp_path):
    settings.ROUTING_INDEX_DIR = str(tmp_path)
    path = routing.index_file(LayerVersion.stamp()[0])
    path.write_bytes(b"not an index")
    index = routing.RoutingIndex.from_database()
    assert "LANDLORD-1" in list(index.parcel_refs)
    assert path.read_bytes().startswith(b"GUPPIDX1")  # written again, right this time


def test_a_background_rebuild_waits_for_the_worker_job_file_and_gives_up_after_the_delay(
    world, rules, settings, tmp_path, monkeypatch
):
    settings.ROUTING_INDEX_DIR = str(tmp_path)
    settings.ROUTING_INDEX_FILE_WAIT_MS = 1000
    clock, slept = [0.0], []
    monkeypatch.setattr(routing, "_clock", lambda: clock[0])

    def sleep(seconds):
        slept.append(seconds)
        clock[0] += seconds
        if len(slept) == 3 and job[0]:
            routing.write_index_file()  # the worker job's tick

    monkeypatch.setattr(routing, "_sleep", sleep)
    job = [True]
    routing._wait_for_index_file()
    assert len(slept) == 3 and routing.index_file(LayerVersion.stamp()[0]).exists()
    # Another change and no worker job: the thread stops waiting after the delay (and builds itself).
    make_parcel(box(1.733, 48.989, 1.734, 48.991), owner=world.landlord, ref="NEW-2")
    job[0], slept[:] = False, []
    routing._wait_for_index_file()
    assert 1.0 <= sum(slept) < 1.3 and not routing.index_file(LayerVersion.stamp()[0]).exists()
