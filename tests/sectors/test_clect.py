"""CLECT groups: dated membership (a perimeter in one group at a time), their yearly figures per actor and
per commune (hand-checked), and the refusals (nothing half-saved)."""

import datetime
from decimal import Decimal

import pytest
from shapely.geometry import box

from directory.models import Layer
from engine.errors import InvalidFields, RoleNotAllowed
from engine.models import OutboxEvent
from procedures.actions import do_file_request, do_transition_request
from procedures.models import InterventionRequest
from procedures.sectors import clect, means
from procedures.sectors.clect_figures import group_figures
from procedures.sectors.clect_models import ClectAuditEntry, ClectGroup, ClectMembership
from tests.factories import make_perimeter

# Sub-sector perimeters away from the sector procedure's perimeter (box 1.702-1.718, 48.982-48.998).
SOUTH_WEST = box(1.7003, 48.9803, 1.7017, 48.9817)  # commune 1
EAST = box(1.725, 48.985, 1.735, 48.995)  # commune 2
IN_SOUTH_WEST = (1.701, 48.981)
IN_EAST = (1.73, 48.99)
IN_SECTOR = (1.716, 48.996)
IN_CAR_PARK = (1.704, 48.984)


@pytest.fixture
def subsectors(world):
    return (
        make_perimeter(
            Layer.SUBSECTORS, SOUTH_WEST, code="ss-sud-ouest", name="Sud-Ouest", commune=world.commune
        ),
        make_perimeter(Layer.SUBSECTORS, EAST, code="ss-est", name="Est", commune=world.commune_2),
    )


def group_of(admin, code="clect-val", name="Val et Est"):
    return clect.do_create_clect_group(acting_user=admin, code=code, name=name, description="Pour la CLECT")


def file(user, category, point, when, time_machine):
    time_machine.move_to(when)
    return do_file_request(
        acting_user=user, category=category, description="Demande (fictif)", lon=point[0], lat=point[1]
    )


def test_an_administrator_groups_perimeters_with_dates_audit_and_events(world, subsectors):
    admin = world.admin_user
    group = group_of(admin)
    south_west, east = subsectors
    clect.do_add_clect_member(group, acting_user=admin, perimeter=south_west, starts_on="2026-01-01")
    clect.do_add_clect_member(
        group, acting_user=admin, perimeter=east, starts_on="2026-03-01", ends_on="2026-06-30"
    )
    assert [(m.perimeter.code, m.starts_on, m.ends_on) for m in group.memberships.all()] == [
        ("ss-sud-ouest", datetime.date(2026, 1, 1), None),
        ("ss-est", datetime.date(2026, 3, 1), datetime.date(2026, 6, 30)),
    ]
    assert list(ClectAuditEntry.objects.filter(group=group).values_list("event", flat=True)) == [
        "group_created",
        "member_added",
        "member_added",
    ]
    assert list(
        OutboxEvent.objects.filter(kind__startswith="sector.clect_").values_list("kind", flat=True)
    ) == ["sector.clect_group_created", "sector.clect_member_added", "sector.clect_member_added"]


def test_a_perimeter_belongs_to_one_group_at_a_time_and_can_move_after_its_end(world, subsectors):
    admin = world.admin_user
    first, second = group_of(admin), group_of(admin, code="clect-autre", name="Autre groupe")
    south_west = subsectors[0]
    membership = clect.do_add_clect_member(
        first, acting_user=admin, perimeter=south_west, starts_on="2026-01-01"
    )
    before = (ClectMembership.objects.count(), ClectAuditEntry.objects.count(), OutboxEvent.objects.count())
    with pytest.raises(InvalidFields) as refused:
        clect.do_add_clect_member(second, acting_user=admin, perimeter=south_west, starts_on="2026-09-01")
    message = refused.value.errors["perimeter"]
    assert "Val et Est" in message and "depuis le 01/01/2026" in message and "un seul groupe" in message
    with pytest.raises(InvalidFields):  # the same group twice over meeting dates is refused too
        clect.do_add_clect_member(first, acting_user=admin, perimeter=south_west, starts_on="2025-06-01")
    after = (ClectMembership.objects.count(), ClectAuditEntry.objects.count(), OutboxEvent.objects.count())
    assert after == before
    clect.do_end_clect_membership(membership, acting_user=admin, ends_on="2026-08-31")
    moved = clect.do_add_clect_member(second, acting_user=admin, perimeter=south_west, starts_on="2026-09-01")
    assert moved.group == second
    # ending the first one later again would overlap the second: refused on the end date
    with pytest.raises(InvalidFields) as refused:
        clect.do_end_clect_membership(membership, acting_user=admin, ends_on="2026-12-31")
    assert "Autre groupe" in refused.value.errors["ends_on"]
    assert ClectMembership.objects.get(pk=membership.pk).ends_on == datetime.date(2026, 8, 31)


def test_it_refuses_bad_input_in_french_and_saves_nothing(world, subsectors):
    admin = world.admin_user
    group = group_of(admin)
    before = (ClectMembership.objects.count(), ClectAuditEntry.objects.count())
    with pytest.raises(InvalidFields) as refused:
        clect.do_add_clect_member(group, acting_user=admin, starts_on="2026-01-01")
    assert "un périmètre ou une procédure" in refused.value.errors["member"]
    with pytest.raises(InvalidFields) as refused:
        clect.do_add_clect_member(
            group, acting_user=admin, perimeter=subsectors[0], starts_on="2026-05-01", ends_on="2026-04-01"
        )
    assert "avant" in refused.value.errors["ends_on"]
    with pytest.raises(InvalidFields) as refused:
        clect.do_add_clect_member(group, acting_user=admin, perimeter=subsectors[0], starts_on="1er mai")
    assert "AAAA-MM-JJ" in refused.value.errors["starts_on"]
    commune_outline = world.qpv.__class__.objects.get(layer=Layer.COMMUNES, code="commune-1")
    with pytest.raises(InvalidFields) as refused:
        clect.do_add_clect_member(group, acting_user=admin, perimeter=commune_outline, starts_on="2026-01-01")
    assert "sous-secteurs" in refused.value.errors["perimeter"]
    with pytest.raises(InvalidFields) as refused:
        clect.do_create_clect_group(acting_user=admin, code="clect-val", name="")
    assert set(refused.value.errors) == {"code", "name"}
    with pytest.raises(RoleNotAllowed):
        clect.do_create_clect_group(acting_user=world.commune_user, code="x", name="X")
    with pytest.raises(RoleNotAllowed):
        clect.do_add_clect_member(
            group, acting_user=world.commune_user, perimeter=subsectors[0], starts_on="2026-01-01"
        )
    assert (ClectMembership.objects.count(), ClectAuditEntry.objects.count()) == before
    assert ClectGroup.objects.count() == 1


def _do(request, user, steps):
    for code, fields in steps:
        request = do_transition_request(
            InterventionRequest.objects.get(pk=request.pk), code, acting_user=user, fields=fields
        )
    return InterventionRequest.objects.get(pk=request.pk)


def test_the_figures_of_a_year_per_actor_and_per_commune(active, subsectors, time_machine):
    """Hand-checked: in 2026 the group holds Sud-Ouest (all year), Est (March to June) and the sector
    procedure (all year). Counted: the lighting request in Sud-Ouest (February), the one in Est in April,
    the tags request of the procedure (done, 2.5 h by the régie) and the bulky one in its car park. Not
    counted: Est in February and in July (outside its membership), Sud-Ouest in December 2025."""
    world, admin = active.world, active.world.admin_user
    south_west, east = subsectors
    group = group_of(admin)
    clect.do_add_clect_member(group, acting_user=admin, perimeter=south_west, starts_on="2026-01-01")
    clect.do_add_clect_member(
        group, acting_user=admin, perimeter=east, starts_on="2026-03-01", ends_on="2026-06-30"
    )
    clect.do_add_clect_member(
        group, acting_user=admin, procedure=active.version.procedure, starts_on="2026-01-01"
    )
    commune_1, commune_2 = world.commune_user, world.commune_2_user
    file(commune_1, active.lighting, IN_SOUTH_WEST, "2025-12-20 10:00 +01:00", time_machine)
    lit = file(commune_1, active.lighting, IN_SOUTH_WEST, "2026-02-10 10:00 +01:00", time_machine)
    file(commune_2, active.lighting, IN_EAST, "2026-02-15 10:00 +01:00", time_machine)
    east_april = file(commune_2, active.lighting, IN_EAST, "2026-04-10 10:00 +02:00", time_machine)
    file(commune_2, active.lighting, IN_EAST, "2026-07-05 10:00 +02:00", time_machine)
    tagged = file(commune_1, active.tags, IN_SECTOR, "2026-05-04 09:00 +02:00", time_machine)
    bulky = file(commune_1, active.bulky, IN_CAR_PARK, "2026-05-05 09:00 +02:00", time_machine)
    tagged = _do(
        tagged,
        active.regie_user,
        [
            ("acknowledge", {}),
            ("qualify", {}),
            ("report_work", {"resolution_note": "Tags effacés"}),
            ("finish", {"resolution_note": "Contrôlé"}),
        ],
    )
    means.do_record_time_spent(tagged, acting_user=active.regie_user, hours="2,5")
    usual_1, usual_2 = lit.handler_unit, east_april.handler_unit
    assert (usual_1.name, usual_2.name) == ("CTC Un", "CTC Deux")  # the usual routing outside the sector
    assert bulky.handler_unit == world.ctc
    # CTC Un (not pooled means) finishes the lighting request and records 1,75 h; CTC Deux records nothing
    steps = [("acknowledge", {}), ("qualify", {}), ("start_work", {})]
    steps.append(("finish", {"resolution_note": "Fait"}))
    lit = _do(lit, world.ctc_agent, steps)
    assert means.do_record_time_spent(lit, acting_user=world.ctc_agent, hours="1,75") is None
    assert lit.sector_time_spent.means is None

    figures = group_figures(group, 2026)
    assert figures["total"] == {"requests": 4, "done": 2, "hours": Decimal("4.25"), "time_recorded": 2}
    assert figures["by_actor"] == [
        {
            "actor": "CTC Deux",
            "organisation": "Communauté urbaine",
            "requests": 1,
            "done": 0,
            "hours": 0,
            "time_recorded": 0,
        },
        {
            "actor": "CTC Un",
            "organisation": "Communauté urbaine",
            "requests": 2,
            "done": 1,
            "hours": Decimal("1.75"),
            "time_recorded": 1,
        },
        {
            "actor": "Équipe de la régie",
            "organisation": "Régie",
            "requests": 1,
            "done": 1,
            "hours": Decimal("2.5"),
            "time_recorded": 1,
        },
    ]
    assert figures["by_commune"] == [
        {"commune": "Commune Deux", "requests": 1, "done": 0, "hours": 0, "time_recorded": 0},
        {"commune": "Commune Une", "requests": 3, "done": 2, "hours": Decimal("4.25"), "time_recorded": 2},
    ]
    assert [(m["code"], m["from"], m["to"], m["requests"]) for m in figures["by_member"]] == [
        ("ss-sud-ouest", datetime.date(2026, 1, 1), datetime.date(2026, 12, 31), 1),
        ("vf-nord", datetime.date(2026, 1, 1), datetime.date(2026, 12, 31), 2),
        ("ss-est", datetime.date(2026, 3, 1), datetime.date(2026, 6, 30), 1),
    ]
    assert [(r["commune"], r["actor"], r["requests"]) for r in figures["rows"]] == [
        ("Commune Deux", "CTC Deux", 1),
        ("Commune Une", "CTC Un", 2),
        ("Commune Une", "Équipe de la régie", 1),
    ]
    previous = group_figures(group, 2025)
    assert previous["total"]["requests"] == 0  # no member was in the group in 2025


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_administrators_adding_the_same_perimeter_to_two_groups_at_once_one_is_refused(
    world, subsectors, on_postgres
):
    if not on_postgres:
        pytest.skip("SQLite serialises writers: the member's row lock is tested on PostgreSQL")
    import threading

    from django.db import connection

    admin = world.admin_user
    groups = [group_of(admin), group_of(admin, code="clect-autre", name="Autre groupe")]
    barrier = threading.Barrier(2)
    results = []

    def add(group):
        try:
            barrier.wait(timeout=10)
            clect.do_add_clect_member(
                group, acting_user=admin, perimeter=subsectors[0], starts_on="2026-01-01"
            )
            results.append("ok")
        except InvalidFields as error:
            results.append(sorted(error.errors))
        finally:
            connection.close()

    threads = [threading.Thread(target=add, args=(group,)) for group in groups]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results, key=str) == [["perimeter"], "ok"]
    assert ClectMembership.objects.filter(perimeter=subsectors[0]).count() == 1
    assert ClectAuditEntry.objects.filter(event="member_added").count() == 1
