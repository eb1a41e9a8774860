"""Invitations: a referent invites people of their own organisation with the roles they hold; the link
works once, until it expires; accepting creates the account with its roles, every grant audited."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import actions
from accounts.models import Invitation
from directory.models import DirectoryAuditEntry, User
from directory.roles import Role
from engine import outbox
from engine.errors import InvalidFields, RoleNotAllowed
from engine.models import OutboxEvent
from tests.accounts.conftest import counts

GOOD_PASSWORD = "Trottoir-Propre-2026"


def _invite(people, **extra):
    extra.setdefault("roles", [Role.REQUESTER])
    return actions.do_invite_person(
        people.commune, extra.pop("email", "new.agent@mantes.test"), acting_user=people.referent, **extra
    )


def test_a_referent_invites_someone_of_their_organisation_and_the_link_is_mailed(
    people, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = _invite(people, first_name="Léa", last_name="Martin")
    assert invitation.roles == [Role.REQUESTER]
    assert invitation.expires_at == invitation.created_at + timedelta(days=7)
    entry = DirectoryAuditEntry.objects.get(event="invitation_created")
    assert entry.actor == people.referent and entry.data["roles"] == [Role.REQUESTER]
    assert OutboxEvent.objects.filter(kind="accounts.invitation_created").count() == 1
    outbox.dispatch()  # the worker delivers the e-mails from the outbox
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["new.agent@mantes.test"]
    assert actions.invitation_token(invitation) in mailoutbox[0].body
    assert "Mantes-la-Jolie" in mailoutbox[0].body


def test_the_validity_of_the_link_is_a_setting(people, settings):
    settings.GUP_INVITATION_VALID_DAYS = 2
    invitation = _invite(people)
    assert invitation.expires_at - invitation.created_at == timedelta(days=2)


def test_it_refuses_to_invite_into_another_organisation(people):
    before = counts()
    with pytest.raises(RoleNotAllowed, match="votre propre organisation"):
        actions.do_invite_person(
            people.commune_2, "x@mureaux.test", [Role.REQUESTER], acting_user=people.referent
        )
    assert counts() == before


def test_it_refuses_roles_the_referent_does_not_hold(people):
    before = counts()
    with pytest.raises(RoleNotAllowed, match="Administrateur"):
        _invite(people, roles=[Role.REQUESTER, Role.ADMINISTRATOR])
    assert counts() == before


def test_it_refuses_a_requester_who_is_not_a_referent(people):
    with pytest.raises(RoleNotAllowed):
        actions.do_invite_person(
            people.commune, "x@mantes.test", [Role.REQUESTER], acting_user=people.requester
        )
    assert Invitation.objects.count() == 0


def test_an_administrator_may_give_any_role_anywhere(people):
    invitation = actions.do_invite_person(
        people.commune_2, "x@mureaux.test", [Role.ADMINISTRATOR], acting_user=people.admin
    )
    assert invitation.roles == [Role.ADMINISTRATOR]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"email": "not-an-address"}, "email", "adresse e-mail valide"),
        ({"email": "req@MANTES.test"}, "email", "existe déjà"),
        ({"roles": []}, "roles", "au moins un rôle"),
        ({"roles": ["pope"]}, "roles", "Rôle inconnu"),
    ],
)
def test_it_refuses_bad_input_naming_the_field_and_writes_nothing(people, fields, field, message):
    before = counts()
    with pytest.raises(InvalidFields) as caught:
        _invite(people, **fields)
    assert message in str(caught.value.errors[field])
    assert counts() == before


def test_accepting_creates_the_account_with_its_roles_once(people):
    invitation = _invite(people, roles=[Role.REQUESTER, Role.REFERENT])
    token = actions.invitation_token(invitation)
    user = actions.do_accept_invitation(
        token, username="lea.martin", password=GOOD_PASSWORD, first_name="Léa", last_name="Martin"
    )
    assert user.organisation == people.commune and user.email == "new.agent@mantes.test"
    assert user.role_codes == {Role.REQUESTER, Role.REFERENT}
    assert user.check_password(GOOD_PASSWORD)
    invitation.refresh_from_db()
    assert invitation.accepted_user == user and invitation.accepted_at is not None
    grants = DirectoryAuditEntry.objects.filter(event="role_assigned", target=f"user:{user.pk}")
    assert sorted(grants.values_list("data__role", flat=True)) == ["referent", "requester"]
    assert {entry.actor for entry in grants} == {people.referent}
    assert DirectoryAuditEntry.objects.filter(event="invitation_accepted", actor=user).count() == 1

    before = counts()
    with pytest.raises(InvalidFields, match="déjà été utilisé"):
        actions.do_accept_invitation(
            token, username="someone.else", password=GOOD_PASSWORD, first_name="A", last_name="B"
        )
    assert counts() == before


def test_it_refuses_an_expired_link_and_writes_nothing(people, time_machine):
    time_machine.move_to(timezone.now())
    invitation = _invite(people)
    time_machine.move_to(invitation.expires_at + timedelta(seconds=1))
    before = counts()
    with pytest.raises(InvalidFields, match="expiré"):
        actions.do_accept_invitation(
            actions.invitation_token(invitation),
            username="late",
            password=GOOD_PASSWORD,
            first_name="A",
            last_name="B",
        )
    assert counts() == before


def test_it_refuses_a_tampered_link(people):
    invitation = _invite(people)
    token = actions.invitation_token(invitation)
    for bad in (token[:-2] + "xx", "garbage", ""):
        with pytest.raises(InvalidFields, match="pas valide"):
            actions.invitation_for_token(bad)
    invitation.secret = "other"
    forged = actions.invitation_token(invitation)
    with pytest.raises(InvalidFields, match="pas valide"):
        actions.invitation_for_token(forged)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"password": "123"}, "password"),
        ({"password": "referent-new"}, "password"),
        ({"username": "requester"}, "username"),
        ({"username": "bad name!"}, "username"),
        ({"first_name": ""}, "first_name"),
    ],
)
def test_accepting_refuses_bad_input_and_writes_nothing(people, fields, field):
    invitation = _invite(people)
    values = {"username": "referent-new", "password": GOOD_PASSWORD, "first_name": "A", "last_name": "B"}
    values.update(fields)
    before = counts()
    with pytest.raises(InvalidFields) as caught:
        actions.do_accept_invitation(actions.invitation_token(invitation), **values)
    assert field in caught.value.errors
    assert counts() == before
    assert not User.objects.filter(username="referent-new").exists()
