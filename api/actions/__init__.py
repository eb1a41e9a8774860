"""The API's own writes: personal tokens and webhook subscriptions.

Like engine.actions and procedures.actions, each ``do_*`` runs in one transaction, checks who may
(its ``may_*`` beside it; ``acting_user=None`` is the system), and writes an ``api.ApiAuditEntry``.
Views, serializers and the admin call these, never the models' save or delete.
"""

from api.actions.tokens import (
    do_issue_api_token,
    do_revoke_api_token,
    may_issue_api_token,
    may_revoke_api_token,
)
from api.actions.webhooks import (
    clean_webhook_url,
    deliveries_visible_to,
    do_create_webhook_subscription,
    do_delete_webhook_subscription,
    do_update_webhook_subscription,
    is_webhook_administrator,
    may_create_webhook_subscription,
    may_manage_webhook_subscription,
    subscriptions_visible_to,
)

__all__ = [
    "clean_webhook_url",
    "deliveries_visible_to",
    "do_create_webhook_subscription",
    "do_delete_webhook_subscription",
    "do_issue_api_token",
    "do_revoke_api_token",
    "do_update_webhook_subscription",
    "is_webhook_administrator",
    "may_create_webhook_subscription",
    "may_issue_api_token",
    "may_manage_webhook_subscription",
    "may_revoke_api_token",
    "subscriptions_visible_to",
]
