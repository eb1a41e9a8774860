"""One-off shares of a case (do_share_case / do_unshare_case): read access for one person, no role."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from engine.actions import (
    case_shared_with,
    do_fire_transition,
    do_share_case,
    do_unshare_case,
    may_share_case,
)
from engine.errors import InvalidFields, RoleNotAllowed
from engine.models import SHARE_PERMISSION, AuditEntry, CaseUserObjectPermission, OutboxEvent
from engine.queries import available_transitions, roles_of
from tests.engine.helpers import events, open_case, publish
from tests.factories import make_user

PARIS = ZoneInfo("Europe/Paris")
MONDAY_9 = datetime(2026, 3, 2, 9, 0, tzinfo=PARIS)

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(world, time_machine):
    time_machine.move_to(MONDAY_9, tick=False)
    publish()
    return open_case(world)


def written():
    return AuditEntry.objects.count(), OutboxEvent.objects.count(), CaseUserObjectPermission.objects.count()


def test_a_handler_shares_a_case_and_takes_it_back_with_audit_and_events(world, case, time_machine):
    assert do_share_case(case, world.landlord_agent, acting_user=world.ctc_agent, reason="Site visit") is True

    share = CaseUserObjectPermission.objects.get(content_object=case)
    assert (share.user, share.permission.codename, share.granted_at) == (
        world.landlord_agent,
        SHARE_PERMISSION,
        MONDAY_9,
    )
    assert world.landlord_agent.has_perm(f"engine.{SHARE_PERMISSION}", case)  # guardian sees it too
    entry = AuditEntry.objects.get(case=case, event="shared")
    assert (entry.actor, entry.reason, entry.from_state, entry.to_state) == (
        world.ctc_agent,
        "Site visit",
        "submitted",
        "submitted",
    )
    assert entry.data == {
        "user": world.landlord_agent.pk,
        "username": "landlord",
        "permission": SHARE_PERMISSION,
    }
    [event] = events(case, "case.shared")
    assert event.payload == {
        "case": case.pk,
        "user": world.landlord_agent.pk,
        "username": "landlord",
        "reference": case.reference,
    }
    assert [(user, user.shared_at) for user in case_shared_with(case)] == [(world.landlord_agent, MONDAY_9)]

    time_machine.move_to(datetime(2026, 3, 3, 10, 0, tzinfo=PARIS), tick=False)
    do_unshare_case(case, world.landlord_agent, acting_user=world.ctc_lead, reason="Visit done")

    assert not CaseUserObjectPermission.objects.filter(content_object=case).exists()
    assert list(case_shared_with(case)) == []
    entry = AuditEntry.objects.get(case=case, event="unshared")
    assert (entry.actor, entry.reason, entry.data["user"]) == (
        world.ctc_lead,
        "Visit done",
        world.landlord_agent.pk,
    )
    assert [e.payload["user"] for e in events(case, "case.unshared")] == [world.landlord_agent.pk]


def test_sharing_again_with_the_same_user_writes_nothing(world, case):
    do_share_case(case, world.landlord_agent, acting_user=world.ctc_agent)
    before = written()
    assert do_share_case(case, world.landlord_agent, acting_user=world.ctc_lead, reason="again") is False
    assert written() == before


def test_the_system_may_share_and_is_recorded_as_such(world, case):
    do_share_case(case, world.landlord_agent, acting_user=None)
    assert AuditEntry.objects.get(case=case, event="shared").actor is None


def test_only_those_who_may_act_now_may_share_or_unshare(world, case):
    site_manager = make_user(world.contractor, username="site-manager")
    do_share_case(case, world.landlord_agent, acting_user=world.ctc_agent)
    before = written()
    # The requester fires nothing from "submitted"; the shared user holds no role; another CTC is
    # not a holder at all.
    for user in (world.commune_user, world.landlord_agent, world.waste_agent):
        assert not may_share_case(case, user)
        with pytest.raises(RoleNotAllowed):
            do_share_case(case, site_manager, acting_user=user)
        with pytest.raises(RoleNotAllowed):
            do_unshare_case(case, world.landlord_agent, acting_user=user)
    assert written() == before
    assert may_share_case(case, world.ctc_agent) and may_share_case(case, None)


def test_a_share_gives_no_role_and_no_transition(world, case):
    do_share_case(case, world.landlord_agent, acting_user=world.ctc_agent)
    assert roles_of(world.landlord_agent, case) == set()
    assert available_transitions(case, world.landlord_agent) == []
    with pytest.raises(RoleNotAllowed):
        do_fire_transition(case, "acknowledge", acting_user=world.landlord_agent)
    case.refresh_from_db()
    assert case.state == "submitted"


def test_it_refuses_an_inactive_user_oneself_nobody_and_an_unshare_without_share(world, case):
    world.landlord_agent.is_active = False
    world.landlord_agent.save(update_fields=["is_active"])
    before = written()
    cases = [
        (world.landlord_agent, world.ctc_agent, "landlord is inactive: a case cannot be shared with them."),
        (world.ctc_agent, world.ctc_agent, "You cannot share a case with yourself."),
        (None, world.ctc_agent, "Unknown user: give the username or id of an active user."),
    ]
    with translation.override("en"):
        for user, acting, message in cases:
            with pytest.raises(InvalidFields) as raised:
                do_share_case(case, user, acting_user=acting)
            assert raised.value.errors == {"user": message}
        with pytest.raises(InvalidFields) as raised:
            do_unshare_case(case, world.dvq_officer, acting_user=world.ctc_agent)
        assert raised.value.errors == {"user": "This case is not shared with dvq."}
    assert written() == before
