"""Token authentication on named, revocable personal tokens (`Authorization: Token <key>`)."""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from api.models import ApiToken, hash_token_key

# last_used_at is refreshed at most this often, so reads do not each cost a write.
LAST_USED_RESOLUTION = timedelta(minutes=5)


def user_for_key(key):
    """The active user owning this token key, or None."""
    if not key:
        return None
    token = ApiToken.objects.select_related("user").filter(key_hash=hash_token_key(key)).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or token.last_used_at < now - LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


class TokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid token header: expected 'Token <key>'."))
        try:
            key = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token header: the key is not text.")) from None
        user = user_for_key(key)
        if user is None:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        return (user, key)

    def authenticate_header(self, request):
        return self.keyword


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <key>`, with a key from POST /api/v1/auth/token/.",
        }
