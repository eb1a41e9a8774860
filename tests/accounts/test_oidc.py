"""Single sign-on against a real OpenID Connect provider started on 127.0.0.1 (tests/accounts/
oidc_provider.py): discovery, authorize, token with a signed id_token, JWKS, userinfo. Nothing of the
library is mocked: the test client follows the redirects by hand, the backend calls the provider."""

from urllib.parse import parse_qs, urlparse

import pytest
import requests
from django.urls import reverse

from accounts import actions, oidc
from accounts.models import Invitation
from directory.models import DirectoryAuditEntry, User
from directory.roles import Role
from tests.accounts.conftest import counts
from tests.accounts.oidc_provider import Provider


@pytest.fixture
def provider(settings):
    with Provider() as running:
        settings.OIDC_ENABLED = True
        settings.OIDC_ISSUER = running.issuer
        settings.OIDC_RP_CLIENT_ID = Provider.CLIENT_ID
        settings.OIDC_RP_CLIENT_SECRET = Provider.CLIENT_SECRET
        settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, "accounts.oidc.Backend"]
        oidc._discovery_cache.clear()
        yield running
        oidc._discovery_cache.clear()


def _sign_in(client, provider, *, state=None, code=None):
    start = client.get(reverse("oidc_authentication_init"))
    assert start.status_code == 302 and start["Location"].startswith(provider.issuer + "/authorize?")
    query = parse_qs(urlparse(start["Location"]).query)
    assert query["scope"] == ["openid email given_name usual_name siret"] and query["nonce"][0]
    answer = requests.get(start["Location"], allow_redirects=False, timeout=10)
    assert answer.status_code == 302
    callback = parse_qs(urlparse(answer.headers["Location"]).query)
    return client.get(
        reverse("oidc_authentication_callback"),
        {"code": code or callback["code"][0], "state": state or callback["state"][0]},
    )


def _message(response, client):
    follow = client.get(response["Location"])
    return follow.content.decode()


def test_an_existing_account_signs_in_by_its_email(people, client, provider):
    provider.identity = {"sub": "pc-1", "email": "REQ@mantes.test", "given_name": "R", "usual_name": "Q"}
    response = _sign_in(client, provider)
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert int(client.session["_auth_user_id"]) == people.requester.pk
    assert client.get(reverse("notification-list")).status_code == 200
    actions.do_deactivate_person(people.requester, acting_user=people.referent)
    assert client.get(reverse("notification-list")).status_code == 302  # the SSO session ends too


def test_an_invited_person_gets_their_account_through_single_sign_on(people, client, provider):
    invitation = actions.do_invite_person(
        people.commune, "lea.martin@mantes.test", [Role.REQUESTER], acting_user=people.referent
    )
    provider.identity = {
        "sub": "pc-2",
        "email": "lea.martin@mantes.test",
        "given_name": "Léa",
        "usual_name": "Martin",
        "siret": "21780361000010",
    }
    response = _sign_in(client, provider)
    assert response.status_code == 302 and response["Location"] == reverse("home")
    user = User.objects.get(email="lea.martin@mantes.test")
    assert (user.first_name, user.last_name, user.organisation) == ("Léa", "Martin", people.commune)
    assert not user.has_usable_password() and user.role_codes == {Role.REQUESTER}
    assert int(client.session["_auth_user_id"]) == user.pk
    invitation.refresh_from_db()
    assert invitation.accepted_user == user
    assert DirectoryAuditEntry.objects.filter(event="role_assigned", target=f"user:{user.pk}").count() == 1


def test_an_unknown_email_is_refused_and_nothing_is_created(people, client, provider):
    provider.identity = {"sub": "pc-3", "email": "stranger@elsewhere.test"}
    before = counts()
    response = _sign_in(client, provider)
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session
    assert "Aucun compte ni aucune invitation" in _message(response, client)
    assert counts() == before


def test_a_deactivated_account_is_refused(people, client, provider):
    actions.do_deactivate_person(people.requester, acting_user=people.referent)
    provider.identity = {"sub": "pc-1", "email": "req@mantes.test"}
    response = _sign_in(client, provider)
    assert response["Location"] == reverse("login") and "_auth_user_id" not in client.session


def test_a_tampered_state_is_refused(people, client, provider):
    Invitation.objects.all().delete()
    actions.do_invite_person(people.commune, "x@mantes.test", [Role.REQUESTER], acting_user=people.referent)
    provider.identity = {"sub": "pc-4", "email": "x@mantes.test"}
    before = counts()
    response = _sign_in(client, provider, state="forged-state")
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert "n'est pas valide" in _message(response, client).replace("&#x27;", "'")
    assert "_auth_user_id" not in client.session and counts() == before


def test_a_tampered_nonce_is_refused(people, client, provider):
    actions.do_invite_person(people.commune, "x@mantes.test", [Role.REQUESTER], acting_user=people.referent)
    provider.identity = {"sub": "pc-4", "email": "x@mantes.test"}
    provider.nonce_override = "another-nonce"
    before = counts()
    response = _sign_in(client, provider)
    assert response["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session and counts() == before


def test_single_sign_on_is_off_by_default(client, db, settings):
    settings.OIDC_ENABLED = False
    assert client.get(reverse("oidc_authentication_init")).status_code == 404
    assert "connexion unique" not in client.get(reverse("login")).content.decode()


def test_a_tampered_code_is_refused_by_the_provider_and_in_french(people, client, provider):
    actions.do_invite_person(people.commune, "x@mantes.test", [Role.REQUESTER], acting_user=people.referent)
    provider.identity = {"sub": "pc-5", "email": "x@mantes.test"}
    before = counts()
    response = _sign_in(client, provider, code="forged-code")
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert "Connexion unique refusée" in _message(response, client)
    assert "_auth_user_id" not in client.session and counts() == before


# --- the organisation's SIRET, and signing out at the provider --------------------------------------------
MANTES_SIRET = "21780361000010"


def test_an_identity_of_another_organisation_is_refused_by_its_siret(people, client, provider):
    people.commune.siret = MANTES_SIRET
    people.commune.save()
    provider.identity = {"sub": "pc-1", "email": "req@mantes.test", "siret": "21780000000099"}
    response = _sign_in(client, provider)
    assert response["Location"] == reverse("login") and "_auth_user_id" not in client.session
    page = _message(response, client).replace("&#x27;", "'")
    assert "l'organisation de votre identité (son SIRET) n'est pas celle de votre compte" in page
    provider.identity["siret"] = MANTES_SIRET
    assert _sign_in(client, provider)["Location"] == reverse("home")
    assert int(client.session["_auth_user_id"]) == people.requester.pk


def test_a_siren_accepts_any_establishment_of_the_organisation_and_the_check_can_be_off(
    people, client, provider, settings
):
    people.commune.siret = MANTES_SIRET[:9]
    people.commune.save()
    provider.identity = {"sub": "pc-1", "email": "req@mantes.test", "siret": MANTES_SIRET[:9] + "00099"}
    assert _sign_in(client, provider)["Location"] == reverse("home")
    client.logout()
    provider.identity["siret"] = "13000000000000"
    assert _sign_in(client, provider)["Location"] == reverse("login")
    settings.OIDC_CHECK_SIRET = False
    assert _sign_in(client, provider)["Location"] == reverse("home")


def test_an_invitation_of_an_organisation_with_another_siret_creates_nothing(people, client, provider):
    people.commune.siret = MANTES_SIRET
    people.commune.save()
    actions.do_invite_person(people.commune, "lea@mantes.test", [Role.REQUESTER], acting_user=people.referent)
    provider.identity = {"sub": "pc-2", "email": "lea@mantes.test", "siret": "21780000000099"}
    before = counts()
    response = _sign_in(client, provider)
    assert response["Location"] == reverse("login") and counts() == before
    assert not User.objects.filter(email="lea@mantes.test").exists()


def test_signing_out_of_a_single_sign_on_session_signs_out_at_the_provider(people, client, provider):
    provider.identity = {"sub": "pc-1", "email": "req@mantes.test"}
    _sign_in(client, provider)
    home = client.get(reverse("home"))  # the page of the sign-out form lets it go on to the provider
    assert home["Content-Security-Policy"].endswith(f"form-action 'self' {provider.issuer}")
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"].startswith(provider.issuer + "/logout?")
    query = {key: value[0] for key, value in parse_qs(urlparse(response["Location"]).query).items()}
    assert query["id_token_hint"] == provider.id_tokens[-1] and query["state"]
    assert query["post_logout_redirect_uri"] == "http://testserver" + reverse("login")
    assert "_auth_user_id" not in client.session
    back = requests.get(response["Location"], allow_redirects=False, timeout=10)
    assert back.status_code == 302 and back.headers["Location"].endswith(reverse("login"))
    assert provider.logouts[-1]["id_token_hint"] == provider.id_tokens[-1]


def test_signing_out_of_a_password_session_stays_here(people, client, provider):
    client.force_login(people.requester)
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and not response["Location"].startswith(provider.issuer)
    assert provider.logouts == [] and "_auth_user_id" not in client.session
