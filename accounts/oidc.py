"""Single sign-on through OpenID Connect (mozilla-django-oidc), e.g. ProConnect for the State's agents.

Off unless ``OIDC_ENABLED``. The provider's endpoints come from its discovery document
(``OIDC_ISSUER`` + ``/.well-known/openid-configuration``, cached an hour) unless set one by one. People
are matched by the e-mail of their identity: an active account with that e-mail signs in; with no
account, their pending invitation becomes one (accounts.actions.do_accept_invitation_by_sso); anybody
else is refused (no open self-registration). The id_token's signature (JWKS), nonce, issuer, audience
and expiry are checked; a tampered state or nonce is refused with a French message, nothing created.

When the organisation of the account (or of the invitation) has a SIRET or SIREN
(``Organisation.siret``) and ``OIDC_CHECK_SIRET`` is on (the default), the identity's ``siret`` claim
must match it (the same 14 digits, or a SIRET of that SIREN): an agent of another organisation with the
same e-mail address is refused. Signing out of a session opened by single sign-on also ends the
session at the provider (its ``end_session_endpoint`` with ``id_token_hint``), as ProConnect asks.
"""

import logging
import re
import secrets
import time
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from directory.models import User

logger = logging.getLogger("gup.auth")

DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}
DISCOVERY_TTL_SECONDS = 3600
_discovery_cache = {}


def discovery():
    issuer = (getattr(settings, "OIDC_ISSUER", "") or "").rstrip("/")
    cached = _discovery_cache.get(issuer)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    response = requests.get(
        f"{issuer}/.well-known/openid-configuration",
        timeout=getattr(settings, "OIDC_TIMEOUT", 10),
        verify=getattr(settings, "OIDC_VERIFY_SSL", True),
    )
    response.raise_for_status()
    document = response.json()
    _discovery_cache[issuer] = (time.monotonic() + DISCOVERY_TTL_SECONDS, document)
    return document


def get_settings(attr, *args):
    if attr in DISCOVERED and not getattr(settings, attr, None):
        return discovery()[DISCOVERED[attr]]
    return import_from_settings(attr, *args)


def siret_matches(organisation, claims):
    """Whether the identity's ``siret`` claim fits ``organisation`` (always, when it has no SIRET/SIREN
    or the check is off)."""
    expected = (getattr(organisation, "siret", "") or "").strip()
    if not expected or not getattr(settings, "OIDC_CHECK_SIRET", True):
        return True
    given = re.sub(r"\D", "", str(claims.get("siret") or ""))
    if len(expected) == 9:
        return len(given) == 14 and given.startswith(expected)
    return given == expected


def _require_enabled():
    if not getattr(settings, "OIDC_ENABLED", False):
        raise Http404


class Backend(OIDCAuthenticationBackend):
    get_settings = staticmethod(get_settings)

    def verify_claims(self, claims):
        return bool(claims.get("email"))

    def filter_users_by_claims(self, claims):
        return User.objects.filter(email__iexact=claims.get("email", ""), is_active=True)

    def _refuse_siret(self, what):
        self.request._oidc_refusal = "siret"
        logger.warning("oidc login refused: the identity's siret does not match the %s's organisation", what)

    def create_user(self, claims):
        from accounts.actions import do_accept_invitation_by_sso, pending_invitation_for

        invitation = pending_invitation_for(claims["email"])
        if invitation is not None and not siret_matches(invitation.organisation, claims):
            self._refuse_siret("invitation")
            return None
        user = do_accept_invitation_by_sso(claims["email"], claims)
        if user is None:
            self.request._oidc_refusal = "unknown"
            logger.warning("oidc login refused: no account nor invitation for this e-mail")
        return user

    def update_user(self, user, claims):
        if not siret_matches(user.organisation, claims):
            self._refuse_siret("account")
            return None
        return user

    def get_user(self, user_id):
        """The session's user, refused once deactivated (the library's own does not check)."""
        user = super().get_user(user_id)
        return user if user is not None and user.is_active else None

    def verify_token(self, token, **kwargs):
        payload = super().verify_token(token, **kwargs)
        issuer = (self.get_settings("OIDC_ISSUER", "") or "").rstrip("/")
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if issuer and str(payload.get("iss", "")).rstrip("/") != issuer:
            raise SuspiciousOperation("id_token issuer mismatch")
        if self.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("id_token audience mismatch")
        if float(payload.get("exp", 0)) < time.time():
            raise SuspiciousOperation("id_token expired")
        return payload


class AuthenticateView(OIDCAuthenticationRequestView):
    get_settings = staticmethod(get_settings)

    def __init__(self, *args, **kwargs):
        if getattr(settings, "OIDC_ENABLED", False):  # reads the endpoints: none when SSO is off
            super().__init__(*args, **kwargs)
        else:
            View.__init__(self, *args, **kwargs)

    def dispatch(self, request, *args, **kwargs):
        _require_enabled()
        return super().dispatch(request, *args, **kwargs)


class CallbackView(OIDCAuthenticationCallbackView):
    get_settings = staticmethod(get_settings)

    def dispatch(self, request, *args, **kwargs):
        _require_enabled()
        try:
            return super().dispatch(request, *args, **kwargs)
        except (SuspiciousOperation, requests.RequestException):
            logger.warning("oidc login refused: invalid state, nonce, code or id_token")
            messages.error(
                request,
                _(
                    "Single sign-on refused: the identity provider's answer is not valid (it may have "
                    "been tampered with or be too old). Please try again."
                ),
            )
            return HttpResponseRedirect(reverse("login"))

    def login_failure(self):
        if getattr(self.request, "_oidc_refusal", "") == "siret":
            messages.error(
                self.request,
                _(
                    "Single sign-on refused: the organisation of your identity (its SIRET) is not the one "
                    "of your account. Sign in with the identity of your organisation, or ask its referent."
                ),
            )
        elif getattr(self.request, "_oidc_refusal", "") == "unknown":
            messages.error(
                self.request,
                _(
                    "No account or invitation exists for the e-mail address of your identity. "
                    "Ask your organisation's referent for access."
                ),
            )
        else:
            messages.error(self.request, _("Single sign-on failed. Please try again."))
        return HttpResponseRedirect(reverse("login"))


def provider_logout_url(request, id_token):
    """Where to send the browser to end the session at the provider (None: it has no logout endpoint)."""
    endpoint = getattr(settings, "OIDC_OP_LOGOUT_ENDPOINT", "") or discovery().get("end_session_endpoint")
    if not endpoint:
        return None
    query = {
        "id_token_hint": id_token,
        "state": secrets.token_urlsafe(16),
        "post_logout_redirect_uri": request.build_absolute_uri(reverse("login")),
    }
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(query)}"


class LogoutView(auth_views.LogoutView):
    """Django's sign-out (POST); a session opened by single sign-on then goes on to the provider's
    logout, with the id_token kept in the session (OIDC_STORE_ID_TOKEN) as its hint."""

    def post(self, request, *args, **kwargs):
        id_token = request.session.get("oidc_id_token") if getattr(settings, "OIDC_ENABLED", False) else None
        response = super().post(request, *args, **kwargs)
        if id_token:
            try:
                target = provider_logout_url(request, id_token)
            except requests.RequestException:
                logger.warning("oidc logout: the provider's discovery document could not be read")
                target = None
            if target:
                return HttpResponseRedirect(target)
        return response
