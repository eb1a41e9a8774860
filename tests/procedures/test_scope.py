import pytest

from directory.models import OrganisationKind
from procedures.models import RequestFollower
from procedures.scope import requests_visible_to
from tests.factories import (
    POINT_IN_COMMUNE_1,
    POINT_IN_COMMUNE_2,
    POINT_IN_QPV,
    make_category,
    make_organisation,
    make_unit,
    make_user,
)
from tests.procedures.helpers import make_request_row


@pytest.fixture
def rows(world):
    category = make_category()
    in_commune_1 = make_request_row(
        category, lon=POINT_IN_COMMUNE_1[0], lat=POINT_IN_COMMUNE_1[1], commune=world.commune,
        dispatcher_unit=world.ctc, handler_unit=world.ctc, handler_organisation=world.cu,
    )  # fmt: skip
    in_qpv = make_request_row(
        category, lon=POINT_IN_QPV[0], lat=POINT_IN_QPV[1], commune=world.commune, in_qpv=True,
        dispatcher_unit=world.ctc, handler_unit=world.landlord_agency, handler_organisation=world.landlord,
    )  # fmt: skip
    in_commune_2 = make_request_row(
        category, lon=POINT_IN_COMMUNE_2[0], lat=POINT_IN_COMMUNE_2[1], commune=world.commune_2,
        dispatcher_unit=world.ctc_2, handler_unit=world.waste, handler_organisation=world.cu,
    )  # fmt: skip
    return in_commune_1, in_qpv, in_commune_2


def visible(user):
    return set(requests_visible_to(user))


def test_a_commune_sees_its_own_requests_only(world, rows):
    in_commune_1, in_qpv, in_commune_2 = rows
    assert visible(world.commune_user) == {in_commune_1, in_qpv}
    assert visible(world.commune_2_user) == {in_commune_2}


def test_a_commune_also_sees_a_request_it_follows(world, rows):
    in_commune_1, _in_qpv, in_commune_2 = rows
    RequestFollower.objects.create(request=in_commune_1, organisation=world.commune_2)
    assert visible(world.commune_2_user) == {in_commune_1, in_commune_2}


def test_handlers_see_what_their_unit_handles_or_dispatches(world, rows):
    in_commune_1, in_qpv, in_commune_2 = rows
    assert visible(world.ctc_agent) == {in_commune_1, in_qpv}
    assert visible(world.waste_agent) == {in_commune_2}
    assert visible(world.landlord_agent) == {in_qpv}


def test_a_team_inside_the_handler_unit_sees_its_requests_and_the_unit_sees_the_team_s(world, rows):
    in_commune_1, in_qpv, _in_commune_2 = rows
    team = make_unit(world.cu, code="ctc-1-team", parent=world.ctc)
    assert visible(make_user(world.cu, unit=team, roles=["agent"])) == {in_commune_1, in_qpv}
    lighting = make_unit(world.cu, code="ctc-2-lighting", parent=world.ctc_2)
    in_commune_1.handler_unit = lighting
    in_commune_1.save()
    assert in_commune_1 in visible(world.ctc_2.members.first() or make_user(world.cu, unit=world.ctc_2))


def test_an_organisation_handling_without_a_unit_is_seen_by_its_members(world, rows):
    in_commune_1, _in_qpv, _in_commune_2 = rows
    in_commune_1.handler_organisation = world.contractor
    in_commune_1.handler_unit = None
    in_commune_1.save()
    assert visible(make_user(world.contractor, roles=["agent"])) == {in_commune_1}


def test_the_dvq_sees_requests_in_a_qpv(world, rows):
    _in_commune_1, in_qpv, _in_commune_2 = rows
    assert visible(world.dvq_officer) == {in_qpv}


def test_administrators_see_everything_and_others_nothing(world, rows):
    assert visible(world.admin_user) == set(rows)
    stranger = make_user(make_organisation(OrganisationKind.STATE), roles=["agent"])
    assert visible(stranger) == set()


def test_the_scope_filter_is_a_single_query_for_a_commune(world, rows, assert_queries):
    user = type(world.commune_user).objects.select_related("organisation").get(pk=world.commune_user.pk)
    user.role_codes  # noqa: B018 - loads the roles once
    with assert_queries(1):
        assert len(list(requests_visible_to(user))) == 2
