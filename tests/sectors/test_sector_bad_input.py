"""Bad input to sub-sector procedures: a clear French message naming the field, and nothing half-saved."""

import pytest
from shapely.geometry import Polygon, box

from directory.models import UnitKind
from engine.errors import InvalidFields, RoleNotAllowed
from engine.models import OutboxEvent
from procedures.sectors import actions, approvals, evaluations
from procedures.sectors.models import (
    PooledMeans,
    SectorAuditEntry,
    SectorEvaluation,
    SectorProcedure,
    SectorSplitRow,
)
from tests.factories import make_unit
from tests.sectors.conftest import geojson


def counts():
    return (
        SectorProcedure.objects.count(),
        SectorSplitRow.objects.count(),
        PooledMeans.objects.count(),
        SectorAuditEntry.objects.count(),
        OutboxEvent.objects.count(),
    )


def refused(call, field, words):
    before = counts()
    with pytest.raises(InvalidFields) as caught:
        call()
    assert field in caught.value.errors, caught.value.errors
    assert words in caught.value.errors[field], caught.value.errors[field]
    assert counts() == before
    return caught.value


def test_it_refuses_a_perimeter_outside_the_territory(draft):
    refused(
        lambda: actions.do_set_sector_perimeter(
            draft.version, acting_user=draft.world.admin_user, geometry=geojson(box(1.69, 48.98, 1.71, 49.0))
        ),
        "geometry",
        "en dehors du territoire",
    )


def test_it_refuses_a_self_intersecting_perimeter(draft):
    bowtie = Polygon([(1.703, 48.983), (1.71, 48.99), (1.71, 48.983), (1.703, 48.99), (1.703, 48.983)])
    refused(
        lambda: actions.do_set_sector_perimeter(
            draft.version,
            acting_user=draft.world.admin_user,
            geometry={"type": "Polygon", "coordinates": [list(bowtie.exterior.coords)]},
        ),
        "geometry",
        "se recoupe",
    )


def test_it_refuses_funding_shares_that_do_not_sum_to_100(draft):
    world = draft.world
    refused(
        lambda: actions.do_set_pooled_means(
            draft.version,
            acting_user=world.admin_user,
            organisation=world.contractor,
            unit=draft.regie_unit,
            yearly_capacity="100",
            funding={world.landlord: "50", world.cu: "30"},
        ),
        "funding",
        "80 %",
    )


def test_it_refuses_a_split_row_for_a_unit_without_people(draft):
    empty = make_unit(draft.world.contractor, UnitKind.SERVICE, code="empty", name="Équipe vide")
    refused(
        lambda: actions.do_add_split_row(
            draft.version, acting_user=draft.world.admin_user, category=draft.tags, unit=empty
        ),
        "unit",
        "Équipe vide",
    )


def test_it_refuses_overlapping_active_procedures_on_the_same_land(active, sector_world):
    other = actions.do_create_sector_procedure(
        acting_user=active.world.admin_user,
        code="other",
        title="Autre",
        starts_on="2026-01-05",
        evaluation_month=3,
        partners=[(active.world.commune, active.world.commune_user)],
    )
    refused(
        lambda: actions.do_set_sector_perimeter(
            other, acting_user=active.world.admin_user, geometry=geojson(box(1.71, 48.99, 1.719, 48.999))
        ),
        "geometry",
        "Secteur nord du Val",
    )


def test_it_refuses_an_approval_by_someone_who_is_not_the_partners_referent(draft):
    approvals.do_submit_sector_version(draft.version, acting_user=draft.world.admin_user)
    approval = draft.version.approvals.get(partner__organisation=draft.world.landlord)
    before = counts()
    with pytest.raises(RoleNotAllowed) as caught:
        approvals.do_approve_sector_version(approval, acting_user=draft.world.commune_user)
    assert "référent" in str(caught.value)
    assert counts() == before
    approval.refresh_from_db()
    assert approval.state == "pending"


def test_it_refuses_a_second_decision_on_a_closed_evaluation(active, time_machine):
    time_machine.move_to("2027-01-04 09:00 +01:00")
    assert evaluations.open_due_evaluations() == 1
    evaluation = SectorEvaluation.objects.get()
    evaluations.do_decide_sector_evaluation(
        evaluation, acting_user=active.world.admin_user, decision="continue"
    )
    refused(
        lambda: evaluations.do_decide_sector_evaluation(
            evaluation, acting_user=active.world.admin_user, decision="end"
        ),
        "decision",
        "déjà été prise",
    )


def test_it_refuses_editing_a_version_that_is_not_a_draft(active):
    refused(
        lambda: actions.do_add_split_row(
            active.version, acting_user=active.world.admin_user, category=active.tags, unit=active.world.ctc
        ),
        "status",
        "brouillon",
    )


def test_only_administrators_create_procedures(sector_world):
    world = sector_world[0]
    with pytest.raises(RoleNotAllowed):
        actions.do_create_sector_procedure(
            acting_user=world.commune_user,
            code="x",
            title="X",
            starts_on="2026-01-01",
            evaluation_month=1,
            partners=[(world.commune, world.commune_user)],
        )
    assert SectorProcedure.objects.count() == 0
