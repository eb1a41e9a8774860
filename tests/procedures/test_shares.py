"""Sharing one request with one person outside its scope (do_share_request / do_unshare_request)."""

import pytest
from django.core import mail
from django.utils import translation

from directory.models import OrganisationKind
from engine.errors import InvalidFields, RoleNotAllowed
from engine.models import AuditEntry, CaseUserObjectPermission, OutboxEvent
from procedures import actions
from procedures.models import Notification
from procedures.scope import requests_visible_to
from tests.factories import make_organisation, make_user
from tests.procedures.helpers_actions import audit_events, deliver, file, outbox_kinds, paris


def visible(user, request):
    return requests_visible_to(user).filter(pk=request.pk).exists()


@pytest.fixture
def outsiders(world):
    """Four kinds of users who do not see a request of commune 1: another commune's referent, a
    landlord's agent, a user with no organisation, a user of another kind of organisation."""
    return [
        world.commune_2_user,
        world.landlord_agent,
        make_user(None, username="no-organisation"),
        make_user(make_organisation(OrganisationKind.STATE), roles=["agent"], username="prefecture"),
    ]


def test_every_kind_of_user_sees_a_request_only_while_it_is_shared_with_them(
    requests_world, bulky, outsiders
):
    world = requests_world
    request = file(world, bulky)
    for user in outsiders:
        assert not visible(user, request)
        actions.do_share_request(request, user.username, acting_user=world.ctc_agent, reason="Pour info")
        assert visible(user, request)
        assert list(requests_visible_to(user)) == [request]  # that request, and no other
        actions.do_unshare_request(request, str(user.pk), acting_user=world.ctc_agent, reason="Fini")
        assert not visible(user, request)
    assert [event for event, _state, _actor in audit_events(request)][-2:] == ["shared", "unshared"]
    assert outbox_kinds(request).count("case.shared") == len(outsiders)


def test_the_scope_filter_stays_one_query_with_shares(requests_world, bulky, outsiders, assert_queries):
    world = requests_world
    request = file(world, bulky)
    actions.do_share_request(request, "commune-2", acting_user=world.ctc_agent)
    user = type(world.commune_2_user).objects.select_related("organisation").get(username="commune-2")
    user.role_codes  # noqa: B018 - loads the roles once
    with assert_queries(1):
        assert list(requests_visible_to(user)) == [request]


def test_the_shared_user_is_told_in_the_application_and_by_email(requests_world, bulky):
    world = requests_world
    request = file(world, bulky)
    world.landlord_agent.email = "agent@bailleur.example"
    world.landlord_agent.save(update_fields=["email"])
    deliver()
    mail.outbox.clear()
    user, created = actions.do_share_request(request, world.landlord_agent, acting_user=world.ctc_agent)
    assert (user, created) == (world.landlord_agent, True)
    with translation.override("en"):
        deliver()
    notification = Notification.objects.get(user=world.landlord_agent, request=request)
    assert notification.event == "filed"
    assert notification.text == (
        f"The request {request.reference} (Encombrants, Commune Une) was shared with you, read only."
    )
    assert [message.to for message in mail.outbox] == [["agent@bailleur.example"]]


def test_sharing_again_writes_nothing(requests_world, bulky):
    world = requests_world
    request = file(world, bulky)
    actions.do_share_request(request, "landlord", acting_user=world.ctc_agent)
    before = (AuditEntry.objects.count(), OutboxEvent.objects.count())
    assert actions.do_share_request(request, "landlord", acting_user=world.ctc_lead) == (
        world.landlord_agent,
        False,
    )
    assert (AuditEntry.objects.count(), OutboxEvent.objects.count()) == before


def test_the_requester_and_the_shared_user_cannot_share(requests_world, bulky):
    world = requests_world
    request = file(world, bulky)
    actions.do_share_request(request, "landlord", acting_user=world.ctc_agent)
    before = (AuditEntry.objects.count(), OutboxEvent.objects.count())
    for user in (world.commune_user, world.landlord_agent):
        with pytest.raises(RoleNotAllowed):
            actions.do_share_request(request, "commune-2", acting_user=user)
        with pytest.raises(RoleNotAllowed):
            actions.do_unshare_request(request, "landlord", acting_user=user)
        with pytest.raises(RoleNotAllowed):  # a share gives no role: no step either
            actions.do_transition_request(request, "acknowledge", acting_user=user)
    assert (AuditEntry.objects.count(), OutboxEvent.objects.count()) == before
    assert not visible(world.commune_2_user, request)


def test_it_refuses_unknown_users_and_missing_shares_naming_nobody(requests_world, bulky):
    world = requests_world
    request = file(world, bulky)
    before = (AuditEntry.objects.count(), OutboxEvent.objects.count())
    refused = [
        (actions.do_share_request, "nobody", "Unknown user: give the username or id of an active user."),
        (actions.do_share_request, "", "Unknown user: give the username or id of an active user."),
        (actions.do_share_request, "ctc", "You cannot share a case with yourself."),
        (actions.do_unshare_request, "landlord", "This request is not shared with this person."),
        (actions.do_unshare_request, "nobody", "This request is not shared with this person."),
    ]
    with translation.override("en"):
        for action, user, message in refused:
            with pytest.raises(InvalidFields) as raised:
                action(request, user, acting_user=world.ctc_agent)
            assert raised.value.errors == {"user": message}
    assert (AuditEntry.objects.count(), OutboxEvent.objects.count()) == before


def test_once_rejected_the_agent_who_shared_takes_it_back_and_another_agent_cannot(
    requests_world, bulky, time_machine
):
    world = requests_world
    time_machine.move_to(paris(2026, 3, 2, 9, 0), tick=False)
    request = file(world, bulky)
    actions.do_share_request(request, "landlord", acting_user=world.ctc_agent, reason="Visite")
    actions.do_share_request(request, "commune-2", acting_user=None)
    [share] = CaseUserObjectPermission.objects.filter(content_object=request.case, user=world.landlord_agent)
    assert share.granted_by == world.ctc_agent
    time_machine.move_to(paris(2026, 3, 3, 10, 0), tick=False)
    actions.do_transition_request(
        request, "reject", acting_user=world.ctc_lead, fields={"turn_to": "Le bailleur"}, reason="Non"
    )
    request.refresh_from_db()
    assert request.case.state == "rejected"

    before = (AuditEntry.objects.count(), OutboxEvent.objects.count())
    with pytest.raises(RoleNotAllowed):  # sharing: nobody (but the system) once rejected
        actions.do_share_request(request, "waste", acting_user=world.ctc_agent)
    for user in (world.ctc_lead, world.commune_user, world.landlord_agent):  # ctc_lead did not grant it
        with pytest.raises(RoleNotAllowed):
            actions.do_unshare_request(request, "landlord", acting_user=user)
    with pytest.raises(RoleNotAllowed):  # the system granted that one
        actions.do_unshare_request(request, "commune-2", acting_user=world.ctc_agent)
    assert (AuditEntry.objects.count(), OutboxEvent.objects.count()) == before
    assert visible(world.landlord_agent, request)

    assert actions.do_unshare_request(request, "landlord", acting_user=world.ctc_agent, reason="Fini") == (
        world.landlord_agent
    )
    assert not visible(world.landlord_agent, request)
    assert audit_events(request)[-1] == ("unshared", "rejected", "ctc")
    assert outbox_kinds(request)[-1] == "case.unshared"
    # The system still takes back any share.
    actions.do_unshare_request(request, "commune-2", acting_user=None)
    assert audit_events(request)[-1] == ("unshared", "rejected", None)
    assert not visible(world.commune_2_user, request)


def test_once_merged_as_a_duplicate_the_agent_who_shared_takes_it_back(requests_world, bulky):
    world = requests_world
    master = file(world, bulky)
    request = file(world, bulky)
    actions.do_share_request(request, "landlord", acting_user=world.ctc_agent)
    actions.do_merge_duplicate(request, master, acting_user=world.ctc_lead, reason="Même dépôt")
    request.refresh_from_db()
    assert request.case.state == "duplicate"
    with pytest.raises(RoleNotAllowed):
        actions.do_unshare_request(request, "landlord", acting_user=world.ctc_lead)
    actions.do_unshare_request(request, "landlord", acting_user=world.ctc_agent)
    assert audit_events(request)[-1] == ("unshared", "duplicate", "ctc")
    assert not visible(world.landlord_agent, request)
