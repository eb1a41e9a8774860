"""Signed webhooks: outbox events become deliveries, and a worker job posts them.

- ``consume(event)`` is registered with the engine as an outbox consumer (called after commit, at least
  once; ``consume_batch(events)`` for a whole delivery round, reading the subscriptions once): it
  records one delivery per active subscription that wants this event type and may see the
  request. A delivery is unique per (subscription, event), so a repeated call creates nothing new.
- ``deliver_due()`` is a worker job (settings.WORKER_JOBS): for each subscription it claims (a lease
  taken with a compare-and-set update, so two workers never post to the same endpoint at once), it
  posts the pending deliveries in order of event id; a delivery waiting for a retry holds back the
  later ones of the same request (ordered per request, at least once: the receiver de-duplicates on
  the event id). A failure is retried with exponential backoff; after WEBHOOK_MAX_AGE_SECONDS the
  delivery is given up. After WEBHOOK_DISABLE_AFTER_FAILURES consecutive failures the subscription is
  disabled and its owner told by email.

The body is JSON; ``X-GUP-Signature: sha256=<hex>`` is the HMAC-SHA256 of the raw body with the
subscription's secret; ``X-GUP-Event`` and ``X-GUP-Event-Id`` repeat the type and id.
"""

import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from api import targets
from api.models import DeliveryStatus, WebhookDelivery, WebhookEventType, WebhookSubscription

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-GUP-Signature"
LEASE_SECONDS = 300

# Outbox event kinds (engine and procedures) -> webhook event types.
EVENT_TYPES = {
    "case.opened": WebhookEventType.REQUEST_CREATED,
    "case.transition": WebhookEventType.STATE_CHANGED,
    "case.commented": WebhookEventType.COMMENT,
    "alert.raised": WebhookEventType.ALERT_RAISED,
    "alert.answered": WebhookEventType.ALERT_ANSWERED,
}


def _setting(name, default):
    return getattr(settings, name, default)


def sign(secret, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def encode(body) -> bytes:
    return json.dumps(body, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


# --- from the outbox to deliveries ---------------------------------------------------------------


def _case_id(event):
    return event.case_id or (event.payload or {}).get("case")


def _visible(subscription, case_id, cache):
    """Whether the subscription's owner may see the request of this case (through the scope filter)."""
    user = subscription.created_by
    if user is None or not user.is_active:
        return False
    key = (user.pk, case_id)
    if key not in cache:
        from procedures.scope import requests_visible_to, scope_q

        if scope_q(user) is None:
            cache[key] = True
        elif case_id is None:
            cache[key] = False
        else:
            cache[key] = requests_visible_to(user).filter(case_id=case_id).exists()
    return cache[key]


def _body(event, event_type):
    payload = dict(event.payload or {})
    case_id = _case_id(event)
    return {
        "id": str(event.pk),
        "type": str(event_type),
        "occurred_at": event.created_at.isoformat(),
        "case": case_id,
        "reference": payload.get("reference"),
        "data": payload,
    }


def _message_delivery(subscription, event, case_id, message):
    """request.message: one delivery per message and subscription (unique on both, so idempotent).

    The procedures write each message with its outbox event ``request.message`` in the transaction of
    the action that produced it, after that action's own events: it is delivered after them."""
    return WebhookDelivery(
        subscription=subscription,
        event_id=event.pk,
        message_id=message.pk,
        event_type=WebhookEventType.MESSAGE,
        ordering_key=f"case:{case_id}",
        body={
            "id": f"message-{message.pk}",
            "type": str(WebhookEventType.MESSAGE),
            "occurred_at": message.created_at.isoformat(),
            "case": case_id,
            "reference": message.request.reference,
            "data": {"kind": message.kind, "body": message.body},
        },
        next_attempt_at=timezone.now(),
    )


def consume(event):
    """Outbox consumer: one pending delivery per interested subscription (idempotent)."""
    return consume_batch([event])


def _event_type(event):
    event_type = EVENT_TYPES.get(event.kind)
    if event_type == WebhookEventType.COMMENT and (event.payload or {}).get("internal"):
        return None
    return event_type


def _visible_cases(subscriptions, case_ids):
    """{(user id, case id): visible} for the owners of these subscriptions: one query per scoped owner
    for the whole round (an owner without scope limit sees everything)."""
    from procedures.scope import requests_visible_to, scope_q

    cache = {}
    owners = {s.created_by_id: s.created_by for s in subscriptions if s.created_by_id}
    wanted = [pk for pk in case_ids if pk is not None]
    for user in owners.values():
        if not user.is_active:
            continue
        if scope_q(user) is None:
            seen = set(case_ids)
        else:
            seen = set(requests_visible_to(user).filter(case_id__in=wanted).values_list("case_id", flat=True))
        for case_id in case_ids:
            cache[(user.pk, case_id)] = case_id in seen
    return cache


def consume_batch(events):
    """Outbox consumer, per round: the active subscriptions, what their owners may see, the messages
    and the references are read once for all the events; the deliveries are written in one insert."""
    from engine.models import Case
    from procedures.models import RequestMessage

    wanted = [(event, _event_type(event)) for event in events]
    wanted = [(e, t) for e, t in wanted if t is not None or e.kind == "request.message"]
    if not wanted:
        return 0
    subscriptions = list(WebhookSubscription.objects.filter(is_active=True).select_related("created_by"))
    if not subscriptions:
        return 0
    case_ids = {_case_id(event) for event, _type in wanted}
    cache = _visible_cases(subscriptions, case_ids)
    message_ids = [
        (event.payload or {}).get("message")
        for event, _type in wanted
        if event.kind == "request.message" and (event.payload or {}).get("message")
    ]
    messages = {}
    if message_ids and any(str(WebhookEventType.MESSAGE) in s.event_types for s in subscriptions):
        messages = RequestMessage.objects.select_related("request").in_bulk(message_ids)
    deliveries, unnamed = [], []
    for event, event_type in wanted:
        case_id = _case_id(event)
        message = messages.get((event.payload or {}).get("message"))
        for subscription in subscriptions:
            if not cache.get((subscription.created_by_id, case_id), False):
                continue
            if message is not None and str(WebhookEventType.MESSAGE) in subscription.event_types:
                deliveries.append(_message_delivery(subscription, event, case_id, message))
            if event_type is not None and str(event_type) in subscription.event_types:
                delivery = WebhookDelivery(
                    subscription=subscription,
                    event_id=event.pk,
                    event_type=event_type,
                    ordering_key=f"case:{case_id}" if case_id else f"event:{event.pk}",
                    body=_body(event, event_type),
                    next_attempt_at=timezone.now(),
                )
                deliveries.append(delivery)
                if not (event.payload or {}).get("reference"):
                    unnamed.append((delivery, case_id))
    if unnamed:  # the references of the events whose payload does not carry it, in one query
        references = dict(
            Case.objects.filter(pk__in={case_id for _d, case_id in unnamed if case_id}).values_list(
                "pk", "reference"
            )
        )
        for delivery, case_id in unnamed:
            delivery.body["reference"] = references.get(case_id)
    WebhookDelivery.objects.bulk_create(deliveries, ignore_conflicts=True)
    return len(deliveries)


# --- posting ---------------------------------------------------------------------------------------


def backoff_seconds(attempts):
    base = _setting("WEBHOOK_RETRY_BASE_SECONDS", 30)
    cap = _setting("WEBHOOK_RETRY_MAX_INTERVAL_SECONDS", 3600)
    return min(base * 2 ** max(attempts - 1, 0), cap)


def post(subscription, delivery):
    """POST one delivery; returns (ok, status_code, error)."""
    raw = encode(delivery.body)
    request = urllib.request.Request(
        subscription.url,
        data=raw,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "GUP-Webhooks/1",
            "X-GUP-Event": delivery.event_type,
            "X-GUP-Event-Id": str(delivery.body.get("id", delivery.event_id)),
            SIGNATURE_HEADER: sign(subscription.secret, raw),
        },
    )
    timeout = _setting("WEBHOOK_TIMEOUT_SECONDS", 10)
    try:
        # Checked again here (DNS can change): see api/targets.py.
        with targets.opener().open(request, timeout=timeout) as response:
            return 200 <= response.status < 300, response.status, ""
    except targets.TargetRefused as exc:
        return False, None, str(exc)[:500]
    except urllib.error.HTTPError as exc:
        return False, exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return False, None, f"{type(exc).__name__}: {reason}"[:500]


def _claim(subscription_id, now):
    token_time = now + timedelta(seconds=LEASE_SECONDS)
    return (
        WebhookSubscription.objects.filter(pk=subscription_id, is_active=True)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .update(locked_until=token_time)
        == 1
    )


def _tell_owner(subscription):
    recipients = [
        address
        for address in (
            subscription.organisation.email,
            subscription.created_by.email if subscription.created_by_id else "",
        )
        if address
    ]
    if not recipients:
        logger.warning("webhook subscription %s disabled; its owner has no email address", subscription.pk)
        return
    send_mail(
        _("GUP: webhook disabled"),
        _(
            "The webhook %(url)s was disabled after %(count)d consecutive failed deliveries "
            "(last error: %(error)s). Its pending events are kept: enable it again once the "
            "endpoint works."
        )
        % {
            "url": subscription.url,
            "count": subscription.consecutive_failures,
            "error": subscription.disabled_reason,
        },
        None,
        recipients,
        fail_silently=True,
    )


def _deliver_subscription(subscription, now):
    max_age = timedelta(seconds=_setting("WEBHOOK_MAX_AGE_SECONDS", 86400))
    disable_after = _setting("WEBHOOK_DISABLE_AFTER_FAILURES", 20)
    batch = _setting("WEBHOOK_BATCH", 200)
    held, delivered, failed, visible = set(), 0, False, {}
    pending = WebhookDelivery.objects.filter(
        subscription=subscription, status=DeliveryStatus.PENDING
    ).order_by("event_id", "pk")[:batch]
    for delivery in pending:
        if delivery.ordering_key in held:
            continue
        if delivery.next_attempt_at > now:
            held.add(delivery.ordering_key)  # an earlier event of this request waits: so do the later ones
            continue
        if not _visible(subscription, (delivery.body or {}).get("case"), visible):
            # The owner's scope at delivery time: a request they may no longer see is not sent.
            delivery.status = DeliveryStatus.FAILED
            delivery.last_error = _("Not sent: the subscription's owner may no longer see this request.")
            delivery.save(update_fields=["status", "last_error"])
            continue
        ok, status_code, error = post(subscription, delivery)
        now = timezone.now()
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.last_status_code = status_code
        if ok:
            delivery.status = DeliveryStatus.DELIVERED
            delivery.delivered_at = now
            delivery.last_error = ""
            delivered += 1
            subscription.consecutive_failures = 0
        else:
            delivery.last_error = error
            if now - delivery.created_at >= max_age:
                delivery.status = DeliveryStatus.FAILED
            else:
                delivery.next_attempt_at = now + timedelta(seconds=backoff_seconds(delivery.attempts))
            subscription.consecutive_failures += 1
        delivery.save(
            update_fields=[
                "attempts",
                "last_attempt_at",
                "last_status_code",
                "status",
                "delivered_at",
                "last_error",
                "next_attempt_at",
            ]
        )
        if not ok:
            failed = True
            if subscription.consecutive_failures >= disable_after:
                subscription.is_active = False
                subscription.disabled_at = now
                subscription.disabled_reason = error[:300]
                WebhookSubscription.objects.filter(pk=subscription.pk).update(
                    consecutive_failures=subscription.consecutive_failures,
                    is_active=False,
                    disabled_at=now,
                    disabled_reason=subscription.disabled_reason,
                )
                _tell_owner(subscription)
            else:
                WebhookSubscription.objects.filter(pk=subscription.pk).update(
                    consecutive_failures=subscription.consecutive_failures
                )
            break  # the endpoint is failing: try again at the next tick
    if delivered and not failed:
        WebhookSubscription.objects.filter(pk=subscription.pk).update(consecutive_failures=0)
    return delivered


def deliver_due():
    """Worker job: post what is due; returns how many deliveries succeeded."""
    now = timezone.now()
    subscription_ids = (
        WebhookDelivery.objects.filter(
            status=DeliveryStatus.PENDING, subscription__is_active=True, next_attempt_at__lte=now
        )
        .order_by()
        .values_list("subscription_id", flat=True)
        .distinct()
    )
    total = 0
    for subscription_id in list(subscription_ids):
        if not _claim(subscription_id, now):
            continue
        subscription = WebhookSubscription.objects.select_related("organisation", "created_by").get(
            pk=subscription_id
        )
        try:
            total += _deliver_subscription(subscription, now)
        finally:
            WebhookSubscription.objects.filter(pk=subscription_id).update(locked_until=None)
    return total


def register():
    from engine.registry import register_consumer

    register_consumer("webhooks", consume, batch=consume_batch)
