"""actions: personal API tokens (issue, revoke)."""

from django.db import transaction
from django.utils.translation import gettext as _

from api.actions._common import audit
from api.models import ApiAuditEvent, ApiToken
from engine.errors import InvalidFields, RoleNotAllowed


def may_issue_api_token(user, owner):
    """A user issues tokens for themselves only (an active account); the system for anyone active."""
    if owner is None or not owner.is_active:
        return False
    return user is None or user.pk == owner.pk


def do_issue_api_token(owner, *, acting_user, name=""):
    """A new named token of ``owner``; returns (token, key). The key is shown once, only its hash is kept."""
    if not may_issue_api_token(acting_user, owner):
        raise RoleNotAllowed([], _("You may issue API tokens for your own account only."))
    name = (name or "").strip()
    if len(name) > 100:
        raise InvalidFields({"name": _("Ensure this field has no more than 100 characters.")})
    with transaction.atomic():
        token, key = ApiToken.objects.create_for(owner, name)
        audit(
            ApiAuditEvent.TOKEN_ISSUED,
            token,
            acting_user=acting_user,
            owner=owner,
            name=token.name,
            prefix=token.prefix,
        )
    return token, key


def may_revoke_api_token(user, token):
    """Its owner, or whoever may delete tokens in the admin (administrators); the system."""
    if user is None:
        return True
    return token.user_id == user.pk or user.has_perm("api.delete_apitoken")


def do_revoke_api_token(token, *, acting_user):
    if not may_revoke_api_token(acting_user, token):
        raise RoleNotAllowed([], _("You may revoke your own API tokens only."))
    with transaction.atomic():
        token_id, owner = token.pk, token.user
        audit(
            ApiAuditEvent.TOKEN_REVOKED,
            token,
            acting_user=acting_user,
            owner=owner,
            name=token.name,
            prefix=token.prefix,
        )
        ApiToken.objects.filter(pk=token_id).delete()
