"""The pages of access, without a browser: accepting an invitation, asking for access, answering."""

from django.urls import reverse

from accounts import actions
from accounts.models import AccessRequest, AccessRequestStatus, Invitation
from directory.models import User
from directory.roles import Role
from tests.accounts.conftest import counts

GOOD_PASSWORD = "Trottoir-Propre-2026"


def test_accepting_an_invitation_in_the_browser_signs_the_person_in(people, client):
    invitation = actions.do_invite_person(
        people.commune, "lea@mantes.test", [Role.REQUESTER], acting_user=people.referent, first_name="Léa"
    )
    url = reverse("invitation-accept", args=[actions.invitation_token(invitation)])
    page = client.get(url)
    assert page.status_code == 200 and "Mantes-la-Jolie" in page.content.decode()
    before = counts()
    bad = client.post(
        url,
        {"first_name": "Léa", "last_name": "M", "username": "lea", "password": "a", "password_again": "b"},
    )
    assert bad.status_code == 400 and "ne sont pas identiques" in bad.content.decode()
    assert counts() == before
    response = client.post(
        url,
        {
            "first_name": "Léa",
            "last_name": "Martin",
            "username": "lea",
            "password": GOOD_PASSWORD,
            "password_again": GOOD_PASSWORD,
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="lea")
    assert int(client.session["_auth_user_id"]) == user.pk and user.role_codes == {Role.REQUESTER}
    reused = client.__class__().get(url)
    assert reused.status_code == 400 and "déjà été utilisé" in reused.content.decode()


def test_a_bad_invitation_link_is_refused_in_french(people, client):
    response = client.get(reverse("invitation-accept", args=["nope"]))
    assert response.status_code == 400 and "n&#x27;est pas valide" in response.content.decode()


def test_asking_for_access_from_the_login_page(people, client):
    login = client.get(reverse("login")).content.decode()
    assert reverse("access-request") in login
    url = reverse("access-request")
    before = counts()
    bad = client.post(url, {"first_name": "Samir", "email": "x"})
    assert bad.status_code == 400 and "Ce champ est obligatoire" in bad.content.decode()
    assert counts() == before
    response = client.post(
        url,
        {
            "first_name": "Samir",
            "last_name": "Benali",
            "email": "samir@mantes.test",
            "organisation": people.commune.pk,
            "job_title": "Gardien",
            "reason": "Signaler les encombrants.",
        },
    )
    assert response.status_code == 200 and "Demande envoyée" in response.content.decode()
    assert AccessRequest.objects.get().organisation == people.commune


def test_a_referent_approves_and_refuses_from_the_people_page(people, client):
    first = actions.do_request_access(
        first_name="A", last_name="B", email="a@mantes.test", organisation_id=str(people.commune.pk),
        job_title="Agent", reason="Besoin.",
    )  # fmt: skip
    second = actions.do_request_access(
        first_name="C", last_name="D", email="c@mantes.test", organisation_id=str(people.commune.pk),
        job_title="Agent", reason="Besoin.",
    )  # fmt: skip
    client.force_login(people.referent)
    page = client.get(reverse("people")).content.decode()
    assert f'id="access-request-{first.pk}"' in page
    approve = reverse("access-request-approve", args=[first.pk])
    before = counts()
    bad = client.post(approve, {})
    assert bad.status_code == 400 and "Ce champ est obligatoire" in bad.content.decode()
    assert counts() == before
    assert client.post(approve, {f"a{first.pk}-roles": [Role.ADMINISTRATOR]}).status_code == 400
    assert counts() == before
    assert client.post(approve, {f"a{first.pk}-roles": [Role.REQUESTER]}).status_code == 302
    assert Invitation.objects.get().email == "a@mantes.test"
    refuse = reverse("access-request-refuse", args=[second.pk])
    assert client.post(refuse, {f"r{second.pk}-refusal_reason": "Hors périmètre."}).status_code == 302
    assert AccessRequest.objects.get(pk=second.pk).status == AccessRequestStatus.REFUSED
    client.force_login(people.referent_2)
    assert client.post(refuse, {f"r{second.pk}-refusal_reason": "x"}).status_code == 404
