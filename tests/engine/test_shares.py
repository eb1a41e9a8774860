"""One-off shares of a case (do_share_case / do_unshare_case): read access for one person, no role."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from engine.actions import (
    case_shared_with,
    check_may_see_shares,
    check_may_unshare,
    do_fire_transition,
    do_share_case,
    do_unshare_case,
    may_see_shares,
    may_share_case,
    may_unshare_case,
)
from engine.errors import InvalidFields, RoleNotAllowed
from engine.models import SHARE_PERMISSION, AuditEntry, CaseUserObjectPermission, OutboxEvent
from engine.queries import available_transitions, roles_of
from tests.engine.helpers import events
from tests.factories import make_user

PARIS = ZoneInfo("Europe/Paris")
MONDAY_9 = datetime(2026, 3, 2, 9, 0, tzinfo=PARIS)

pytestmark = pytest.mark.django_db


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


def test_the_granter_is_recorded_and_listed_none_for_the_system(world, case):
    do_share_case(case, world.landlord_agent, acting_user=world.ctc_agent)
    do_share_case(case, world.commune_2_user, acting_user=None)
    do_share_case(case, world.landlord_agent, acting_user=world.ctc_lead)  # again: the first granter stays

    granted = dict(
        CaseUserObjectPermission.objects.filter(content_object=case).values_list(
            "user__username", "granted_by"
        )
    )
    assert granted == {"landlord": world.ctc_agent.pk, "commune-2": None}
    assert [(u.username, u.shared_by, u.shared_by_id) for u in case_shared_with(case)] == [
        ("commune-2", None, None),
        ("landlord", "ctc", world.ctc_agent.pk),
    ]


def test_once_rejected_the_agent_who_shared_takes_it_back_and_nobody_else_of_the_unit(
    world, case, time_machine
):
    do_share_case(case, world.landlord_agent, acting_user=world.ctc_agent, reason="Site visit")
    do_share_case(case, world.commune_2_user, acting_user=world.ctc_lead)
    time_machine.move_to(datetime(2026, 3, 3, 10, 0, tzinfo=PARIS), tick=False)
    do_fire_transition(case, "reject", acting_user=world.ctc_lead, reason="Not ours")
    case.refresh_from_db()
    assert case.state == "rejected"  # final: no transition, so nobody may share any more
    assert not may_share_case(case, world.ctc_agent) and not may_share_case(case, world.ctc_lead)
    commune_2, landlord = case_shared_with(case)  # by username

    # ctc_lead, of the same unit, did not grant the landlord's share: refused, nothing written.
    before = written()
    assert not may_unshare_case(case, world.ctc_lead, landlord)
    assert not may_unshare_case(case, world.ctc_lead, world.landlord_agent.pk)  # by id: same answer
    with pytest.raises(RoleNotAllowed):
        check_may_unshare(case, world.ctc_lead, world.landlord_agent)
    with translation.override("en"):
        for user in (world.ctc_lead, world.waste_agent, world.commune_user, world.landlord_agent):
            with pytest.raises(RoleNotAllowed) as raised:
                do_unshare_case(case, world.landlord_agent, acting_user=user)
            assert str(raised.value) == (
                "Only those who may act on this case now, or who shared it with this person, "
                "may take the share back."
            )
    with pytest.raises(RoleNotAllowed):  # nor the one ctc_lead did not grant, for ctc_agent
        do_unshare_case(case, world.commune_2_user, acting_user=world.ctc_agent)
    assert written() == before

    # Both granters still see the list; the others do not.
    assert may_see_shares(case, world.ctc_agent) and may_see_shares(case, world.ctc_lead)
    for user in (world.waste_agent, world.commune_user, world.landlord_agent):
        assert not may_see_shares(case, user)
        with pytest.raises(RoleNotAllowed):
            check_may_see_shares(case, user)

    assert may_unshare_case(case, world.ctc_agent, landlord)
    assert may_unshare_case(case, world.ctc_agent, world.landlord_agent)
    assert not may_unshare_case(case, world.ctc_agent, commune_2)
    do_unshare_case(case, world.landlord_agent, acting_user=world.ctc_agent, reason="Visit done")

    assert [u.username for u in case_shared_with(case)] == ["commune-2"]
    entry = AuditEntry.objects.get(case=case, event="unshared")
    assert (entry.actor, entry.reason, entry.at, entry.from_state, entry.to_state, entry.data["user"]) == (
        world.ctc_agent,
        "Visit done",
        datetime(2026, 3, 3, 10, 0, tzinfo=PARIS),
        "rejected",
        "rejected",
        world.landlord_agent.pk,
    )
    assert [e.payload["user"] for e in events(case, "case.unshared")] == [world.landlord_agent.pk]
    # Their last share taken back, ctc_agent no longer sees the list.
    assert not may_see_shares(case, world.ctc_agent) and may_see_shares(case, world.ctc_lead)


def test_the_system_still_takes_back_any_share_of_a_closed_case(world, case):
    do_share_case(case, world.landlord_agent, acting_user=world.ctc_agent)
    do_fire_transition(case, "reject", acting_user=world.ctc_lead, reason="Not ours")
    case.refresh_from_db()
    assert may_unshare_case(case, None, world.landlord_agent) and may_see_shares(case, None)
    do_unshare_case(case, world.landlord_agent, acting_user=None, reason="Cleanup")
    assert list(case_shared_with(case)) == []
    assert AuditEntry.objects.get(case=case, event="unshared").actor is None


def test_a_share_granted_by_the_system_is_taken_back_only_by_those_who_may_act_now(world, case):
    do_share_case(case, world.landlord_agent, acting_user=None)
    assert may_unshare_case(case, world.ctc_lead, world.landlord_agent)
    do_fire_transition(case, "reject", acting_user=world.ctc_lead, reason="Not ours")
    case.refresh_from_db()
    for user in (world.ctc_agent, world.ctc_lead):
        assert not may_see_shares(case, user)
        with pytest.raises(RoleNotAllowed):
            do_unshare_case(case, world.landlord_agent, acting_user=user)
