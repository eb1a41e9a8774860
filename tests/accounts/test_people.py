"""The people of an organisation: roles changed within the referent's own, deactivation (never deleted;
no sign-in, no session, no API token afterwards), the referents' page and its scope."""

import pytest
from django.urls import reverse

from accounts import actions
from api.models import ApiToken, hash_token_key
from directory.models import DirectoryAuditEntry, RoleAssignment, User
from directory.roles import Role
from engine.errors import RoleNotAllowed
from tests.accounts.conftest import counts
from tests.factories import PASSWORD


def test_a_referent_changes_roles_within_their_own_one_audit_entry_each(people):
    added, removed = actions.do_change_person_roles(
        people.requester, [Role.REFERENT], acting_user=people.referent
    )
    assert (added, removed) == ([Role.REFERENT], [Role.REQUESTER])
    assert set(RoleAssignment.objects.filter(user=people.requester).values_list("role", flat=True)) == {
        Role.REFERENT
    }
    entries = DirectoryAuditEntry.objects.filter(target=f"user:{people.requester.pk}").order_by("pk")
    assert [(e.event, e.data["role"], e.actor) for e in entries] == [
        ("role_assigned", Role.REFERENT, people.referent),
        ("role_removed", Role.REQUESTER, people.referent),
    ]


def test_it_refuses_role_changes_beyond_the_referents_roles_or_organisation(people):
    before = counts()
    with pytest.raises(RoleNotAllowed):
        actions.do_change_person_roles(
            people.requester, [Role.REQUESTER, Role.SUPERVISOR], acting_user=people.referent
        )
    with pytest.raises(RoleNotAllowed):
        actions.do_change_person_roles(people.requester, [Role.REFERENT], acting_user=people.referent_2)
    with pytest.raises(RoleNotAllowed):
        actions.do_change_person_roles(people.referent, [Role.REQUESTER], acting_user=people.referent)
    assert counts() == before


def test_a_deactivated_account_cannot_sign_in_nor_use_its_session_or_token(people, client):
    client.force_login(people.requester)
    assert client.get(reverse("home")).status_code == 200
    key = "k" * 40
    ApiToken.objects.create(user=people.requester, name="script", key_hash=hash_token_key(key))
    assert client.get("/api/v1/requests/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200

    actions.do_deactivate_person(people.requester, acting_user=people.referent, reason="départ")
    people.requester.refresh_from_db()
    assert not people.requester.is_active and User.objects.filter(pk=people.requester.pk).exists()
    entry = DirectoryAuditEntry.objects.get(event="person_deactivated")
    assert entry.actor == people.referent and entry.data == {
        "old": True,
        "new": False,
        "reason": "départ",
    }
    response = client.get(reverse("people"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    anonymous = client.__class__()
    assert anonymous.get("/api/v1/requests/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401
    response = anonymous.post(reverse("login"), {"username": "requester", "password": PASSWORD})
    assert response.status_code == 200 and "_auth_user_id" not in anonymous.session

    before = counts()
    actions.do_deactivate_person(people.requester, acting_user=people.referent)
    assert counts() == before  # already deactivated: nothing changes


def test_only_a_referent_of_the_organisation_deactivates_and_never_themselves(people):
    before = counts()
    for acting, person in (
        (people.referent_2, people.requester),
        (people.requester, people.referent),
        (people.referent, people.referent),
        (people.referent, people.admin),
    ):
        with pytest.raises(RoleNotAllowed):
            actions.do_deactivate_person(person, acting_user=acting)
    assert counts() == before


def test_the_people_page_lists_the_organisations_people_only(people, client, django_assert_max_num_queries):
    client.force_login(people.referent)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("people"))
    assert response.status_code == 200
    body = response.content.decode()
    assert f'id="person-{people.requester.pk}"' in body
    assert f'id="person-{people.referent_2.pk}"' not in body
    assert "Inviter une personne" in body
    client.force_login(people.requester)
    assert client.get(reverse("people")).status_code == 404


def test_the_people_page_deactivates_in_scope_and_404s_out_of_it(people, client):
    client.force_login(people.referent_2)
    url = reverse("person-active", args=[people.requester.pk])
    assert client.post(url, {"active": "0"}).status_code == 404
    client.force_login(people.referent)
    response = client.post(url, {"active": "0"})
    assert response.status_code == 302
    people.requester.refresh_from_db()
    assert not people.requester.is_active
    assert client.post(url, {"active": "1"}).status_code == 302
    people.requester.refresh_from_db()
    assert people.requester.is_active
    assert DirectoryAuditEntry.objects.filter(event="person_reactivated").count() == 1
