"""Access requests from the login page: to the organisation's referents, approved with roles (the person
is sent an invitation) or refused with a reason (the person is told), by e-mail through the outbox."""

import pytest

from accounts import actions
from accounts.models import AccessRequest, AccessRequestStatus, Invitation
from directory.models import DirectoryAuditEntry
from directory.roles import Role
from engine import outbox
from engine.errors import InvalidFields, RoleNotAllowed
from engine.models import OutboxEvent
from tests.accounts.conftest import counts


def _ask(people, **extra):
    values = {
        "first_name": "Samir",
        "last_name": "Benali",
        "email": "samir.benali@mantes.test",
        "organisation_id": str(people.commune.pk),
        "job_title": "Gardien d'immeuble",
        "reason": "Signaler les dépôts sauvages.",
    }
    values.update(extra)
    return actions.do_request_access(**values)


def test_a_request_goes_to_the_referents_of_the_organisation_by_email(
    people, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        access_request = _ask(people)
    assert access_request.status == AccessRequestStatus.PENDING
    assert OutboxEvent.objects.filter(kind="accounts.access_requested").count() == 1
    assert DirectoryAuditEntry.objects.filter(event="access_requested", actor=None).count() == 1
    outbox.dispatch()  # the worker delivers the e-mails from the outbox
    assert [mail.to for mail in mailoutbox] == [["ref@mantes.test"]]
    assert "Samir Benali" in mailoutbox[0].body and "/people/" in mailoutbox[0].body


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"first_name": " "}, "first_name"),
        ({"email": "samir"}, "email"),
        ({"organisation_id": "999999"}, "organisation"),
        ({"organisation_id": "mantes"}, "organisation"),
        ({"reason": ""}, "reason"),
        ({"reason": "x" * 2001}, "reason"),
    ],
)
def test_it_refuses_an_incomplete_request_and_writes_nothing(people, fields, field):
    before = counts()
    with pytest.raises(InvalidFields) as caught:
        _ask(people, **fields)
    assert field in caught.value.errors
    assert counts() == before


def test_it_refuses_a_second_pending_request_for_the_same_address(people):
    _ask(people)
    before = counts()
    with pytest.raises(InvalidFields, match="attend déjà"):
        _ask(people, email="SAMIR.benali@mantes.test")
    assert counts() == before


def test_approving_with_roles_sends_an_invitation(people, django_capture_on_commit_callbacks, mailoutbox):
    access_request = _ask(people)
    outbox.dispatch()  # the referents are told of the request
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        invitation = actions.do_approve_access_request(
            access_request, [Role.REQUESTER], acting_user=people.referent
        )
    access_request.refresh_from_db()
    assert access_request.status == AccessRequestStatus.APPROVED
    assert access_request.decided_by == people.referent and access_request.invitation == invitation
    assert invitation.email == "samir.benali@mantes.test" and invitation.roles == [Role.REQUESTER]
    assert invitation.first_name == "Samir" and invitation.organisation == people.commune
    entry = DirectoryAuditEntry.objects.get(event="access_request_approved")
    assert entry.actor == people.referent and entry.data["roles"] == [Role.REQUESTER]
    outbox.dispatch()  # the worker delivers the e-mails from the outbox
    assert [mail.to for mail in mailoutbox] == [["samir.benali@mantes.test"]]
    assert actions.invitation_token(invitation) in mailoutbox[0].body


def test_refusing_needs_a_reason_and_tells_the_person(people, django_capture_on_commit_callbacks, mailoutbox):
    access_request = _ask(people)
    outbox.dispatch()  # the referents are told of the request
    mailoutbox.clear()
    before = counts()
    with pytest.raises(InvalidFields) as caught:
        actions.do_refuse_access_request(access_request, "  ", acting_user=people.referent)
    assert "refusal_reason" in caught.value.errors
    assert counts() == before
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_refuse_access_request(
            access_request, "Adressez-vous à votre bailleur.", acting_user=people.referent
        )
    access_request.refresh_from_db()
    assert access_request.status == AccessRequestStatus.REFUSED
    assert DirectoryAuditEntry.objects.filter(event="access_request_refused").count() == 1
    outbox.dispatch()  # the worker delivers the e-mails from the outbox
    assert [mail.to for mail in mailoutbox] == [["samir.benali@mantes.test"]]
    assert "Adressez-vous à votre bailleur." in mailoutbox[0].body


def test_a_request_is_answered_once(people):
    access_request = _ask(people)
    actions.do_refuse_access_request(access_request, "Non.", acting_user=people.referent)
    stale = AccessRequest.objects.get(pk=access_request.pk)
    stale.status = AccessRequestStatus.PENDING
    before = counts()
    with pytest.raises(InvalidFields, match="déjà reçu une réponse"):
        actions.do_approve_access_request(stale, [Role.REQUESTER], acting_user=people.referent)
    assert counts() == before
    assert Invitation.objects.count() == 0


def test_only_the_organisations_referents_decide_and_within_their_roles(people):
    access_request = _ask(people)
    before = counts()
    for outsider in (people.referent_2, people.requester):
        with pytest.raises(RoleNotAllowed):
            actions.do_approve_access_request(access_request, [Role.REQUESTER], acting_user=outsider)
        with pytest.raises(RoleNotAllowed):
            actions.do_refuse_access_request(access_request, "Non.", acting_user=outsider)
    with pytest.raises(RoleNotAllowed, match="Agent"):
        actions.do_approve_access_request(access_request, [Role.AGENT], acting_user=people.referent)
    assert counts() == before
    actions.do_approve_access_request(access_request, [Role.AGENT], acting_user=people.admin)
