"""Single sign-on through OpenID Connect (mozilla-django-oidc), e.g. ProConnect for the State's agents.

Off unless ``OIDC_ENABLED``. The provider's endpoints come from its discovery document
(``OIDC_ISSUER`` + ``/.well-known/openid-configuration``, cached an hour) unless set one by one. People
are matched by the e-mail of their identity: an active account with that e-mail signs in; with no
account, their pending invitation becomes one (accounts.actions.do_accept_invitation_by_sso); anybody
else is refused (no open self-registration). The id_token's signature (JWKS), nonce, issuer, audience
and expiry are checked; a tampered state or nonce is refused with a French message, nothing created.
"""

import logging
import time

import requests
from django.conf import settings
from django.contrib import messages
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


def _require_enabled():
    if not getattr(settings, "OIDC_ENABLED", False):
        raise Http404


class Backend(OIDCAuthenticationBackend):
    get_settings = staticmethod(get_settings)

    def verify_claims(self, claims):
        return bool(claims.get("email"))

    def filter_users_by_claims(self, claims):
        return User.objects.filter(email__iexact=claims.get("email", ""), is_active=True)

    def create_user(self, claims):
        from accounts.actions import do_accept_invitation_by_sso

        user = do_accept_invitation_by_sso(claims["email"], claims)
        if user is None:
            self.request._oidc_refusal = "unknown"
            logger.warning("oidc login refused: no account nor invitation for this e-mail")
        return user

    def update_user(self, user, claims):
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
        if getattr(self.request, "_oidc_refusal", "") == "unknown":
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
