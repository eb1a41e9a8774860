"""API-side records: personal access tokens, idempotency records, webhook subscriptions and deliveries."""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from engine.models import ActorAuditModel


def hash_token_key(key):
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def create_for(self, user, name=""):
        """Create a token for the user; returns (token, key). The key is shown once, only its hash is kept."""
        key = secrets.token_hex(20)
        token = self.create(
            user=user, name=name or str(_("API token")), key_hash=hash_token_key(key), prefix=key[:8]
        )
        return token, key


class ApiToken(models.Model):
    """A named personal access token. A user may hold several; each is revoked on its own.

    Only a SHA-256 hash of the key is stored: a leaked database does not leak usable keys.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("key prefix"), max_length=8, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"


class IdempotencyRecord(models.Model):
    """The first response to a write sent with an Idempotency-Key, replayed for 24 hours."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    body_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="unique_idempotency_key_per_user")
        ]
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")

    def __str__(self):
        return f"{self.user_id}:{self.key}"


class WebhookEventType(models.TextChoices):
    REQUEST_CREATED = "request.created", _("Request created")
    STATE_CHANGED = "request.state_changed", _("State changed")
    MESSAGE = "request.message", _("Message to the commune")
    COMMENT = "request.commented", _("Comment")
    ALERT_RAISED = "alert.raised", _("Alert raised")
    ALERT_ANSWERED = "alert.answered", _("Alert answered")


def new_webhook_secret():
    return secrets.token_hex(32)


class WebhookSubscription(models.Model):
    """An endpoint that receives signed events about the requests its owner may see.

    It belongs to its owner, `created_by` (a member of the organisation): only they and administrators see,
    change or delete it (api.actions.webhooks). Its events are those the owner may see through the scope
    filter, when they are recorded and again when they are posted.
    """

    organisation = models.ForeignKey(
        "directory.Organisation",
        on_delete=models.CASCADE,
        related_name="webhook_subscriptions",
        verbose_name=_("organisation"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(_("signing secret"), max_length=128, default=new_webhook_secret)
    event_types = models.JSONField(_("event types"), default=list)
    is_active = models.BooleanField(_("active"), default=True)
    consecutive_failures = models.PositiveIntegerField(_("consecutive failures"), default=0)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    disabled_reason = models.CharField(_("why it was disabled"), max_length=300, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["organisation__name", "pk"]
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")

    def __str__(self):
        return f"{self.organisation} → {self.url}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Given up")


class WebhookDelivery(models.Model):
    """One event for one subscription: the body sent, and how its attempts went."""

    subscription = models.ForeignKey(
        WebhookSubscription,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("subscription"),
    )
    event_id = models.BigIntegerField(_("event id"))
    message_id = models.BigIntegerField(
        _("message id"), null=True, blank=True, help_text=_("For request.message: the message sent.")
    )
    event_type = models.CharField(_("event type"), max_length=40, choices=WebhookEventType.choices)
    ordering_key = models.CharField(
        _("ordering key"), max_length=64, help_text=_("Events with the same key are delivered in order.")
    )
    body = models.JSONField(_("body"))
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last HTTP status"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event_id"],
                condition=models.Q(message_id__isnull=True),
                name="unique_delivery_per_event",
            ),
            models.UniqueConstraint(
                fields=["subscription", "message_id"],
                condition=models.Q(message_id__isnull=False),
                name="unique_delivery_per_message",
            ),
        ]
        indexes = [
            models.Index(
                fields=["subscription", "id"],
                name="webhook_delivery_pending",
                condition=models.Q(status="pending"),
            )
        ]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")

    def __str__(self):
        return f"{self.event_type} #{self.event_id} → {self.subscription_id}"


class ApiAuditEvent(models.TextChoices):
    TOKEN_ISSUED = "token_issued", _("API token issued")
    TOKEN_REVOKED = "token_revoked", _("API token revoked")
    WEBHOOK_CREATED = "webhook_created", _("Webhook subscription created")
    WEBHOOK_UPDATED = "webhook_updated", _("Webhook subscription changed")
    WEBHOOK_DELETED = "webhook_deleted", _("Webhook subscription deleted")


class ApiAuditEntry(ActorAuditModel):
    """What happened to an API token or a webhook subscription, by whom: append-only (engine's
    AuditEntry is about a case). ``object_id`` stays when the token or subscription is gone; ``data``
    never holds a key or a signing secret."""

    event = models.CharField(_("event"), max_length=32, choices=ApiAuditEvent.choices)
    object_id = models.BigIntegerField(_("object id"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
        help_text=_("Whose token or subscription it is."),
    )

    class Meta(ActorAuditModel.Meta):
        indexes = [models.Index(fields=["event", "object_id"], name="api_audit_event_object")]
        verbose_name = _("API audit entry")
        verbose_name_plural = _("API audit entries")

    def __str__(self):
        return f"{self.event} #{self.object_id}"
