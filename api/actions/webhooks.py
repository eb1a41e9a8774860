"""actions: webhook subscriptions (create, update, delete) and who sees them and their deliveries.

A subscription belongs to its owner (``created_by``): only they and the administrators see it, change
it, delete it and read its deliveries; anyone else gets 404 from the API. Its events are those its
owner may see through the scope filter at delivery time (api/webhooks.py).
"""

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from api import targets
from api.actions._common import audit
from api.models import ApiAuditEvent, WebhookDelivery, WebhookEventType, WebhookSubscription
from directory.roles import Role
from engine.errors import InvalidFields, RoleNotAllowed

MANAGER_ROLES = frozenset({Role.REFERENT, Role.SUPERVISOR, Role.ADMINISTRATOR})
EDITABLE = ("url", "event_types", "is_active")


def is_webhook_administrator(user):
    return bool(user is not None and (user.is_superuser or user.has_role(Role.ADMINISTRATOR)))


def may_create_webhook_subscription(user):
    """An organisation's referents, supervisors and administrators (and superusers); the system."""
    if user is None:
        return True
    return bool(
        user.is_active and (user.is_superuser or (user.organisation_id and user.role_codes & MANAGER_ROLES))
    )


def may_manage_webhook_subscription(user, subscription):
    """Its owner while they may still manage webhooks, and administrators; the system."""
    if user is None or is_webhook_administrator(user):
        return True
    return subscription.created_by_id == user.pk and may_create_webhook_subscription(user)


def subscriptions_visible_to(user, queryset=None):
    queryset = WebhookSubscription.objects.all() if queryset is None else queryset
    if is_webhook_administrator(user):
        return queryset
    return queryset.filter(created_by_id=user.pk) if user is not None and user.pk else queryset.none()


def deliveries_visible_to(user, queryset=None):
    queryset = WebhookDelivery.objects.all() if queryset is None else queryset
    if is_webhook_administrator(user):
        return queryset
    return (
        queryset.filter(subscription__created_by_id=user.pk)
        if user is not None and user.pk
        else queryset.none()
    )


def clean_webhook_url(value):
    """The URL as given, or InvalidFields({"url": ...}): https (http too outside production), and a host
    that is not private unless WEBHOOK_ALLOW_PRIVATE_TARGETS (api/targets.py)."""
    value = (value or "").strip()
    if not value:
        raise InvalidFields({"url": _("This field is required.")})
    if len(value) > 500:
        raise InvalidFields({"url": _("Ensure this field has no more than 500 characters.")})
    scheme = value.split(":", 1)[0].lower()
    allowed = ("https",) if getattr(settings, "PRODUCTION", False) else ("https", "http")
    if scheme not in allowed:
        raise InvalidFields({"url": _("The URL must use %(schemes)s.") % {"schemes": " or ".join(allowed)}})
    try:
        targets.check_url(value)
    except targets.TargetRefused as exc:
        raise InvalidFields({"url": str(exc)}) from None
    return value


def clean_event_types(value):
    known = set(WebhookEventType.values)
    if not isinstance(value, list | tuple) or not value:
        raise InvalidFields({"event_types": _("Give at least one event type.")})
    unknown = sorted({str(v) for v in value} - known)
    if unknown:
        raise InvalidFields(
            {"event_types": _("Unknown event types: %(types)s.") % {"types": ", ".join(unknown)}}
        )
    return sorted({str(v) for v in value})


def _summary(subscription):
    return {
        "organisation": subscription.organisation_id,
        "url": subscription.url,
        "event_types": list(subscription.event_types),
        "is_active": subscription.is_active,
    }


def do_create_webhook_subscription(*, acting_user, url, event_types, owner=None, organisation=None):
    """A new subscription owned by ``owner`` (default: the acting user) for their organisation."""
    owner = owner or acting_user
    if not may_create_webhook_subscription(acting_user):
        raise RoleNotAllowed(
            sorted(MANAGER_ROLES),
            _("Only an organisation's referents, supervisors or administrators may manage its webhooks."),
        )
    if owner is None:
        raise InvalidFields({"created_by": _("A subscription needs an owner.")})
    if acting_user is not None and owner.pk != acting_user.pk and not is_webhook_administrator(acting_user):
        raise RoleNotAllowed([Role.ADMINISTRATOR], _("Only administrators may subscribe for someone else."))
    organisation_id = organisation.pk if organisation is not None else owner.organisation_id
    if not organisation_id:
        raise InvalidFields({"non_field_errors": _("You do not act for an organisation.")})
    url = clean_webhook_url(url)
    event_types = clean_event_types(event_types)
    with transaction.atomic():
        subscription = WebhookSubscription.objects.create(
            organisation_id=organisation_id, created_by=owner, url=url, event_types=event_types
        )
        audit(
            ApiAuditEvent.WEBHOOK_CREATED,
            subscription,
            acting_user=acting_user,
            owner=owner,
            **_summary(subscription),
        )
    return subscription


def _check_may_manage(acting_user, subscription):
    if not may_manage_webhook_subscription(acting_user, subscription):
        raise RoleNotAllowed([], _("Only the owner of this subscription and administrators may change it."))


def do_update_webhook_subscription(subscription, *, acting_user, **changes):
    """Change ``url``, ``event_types`` or ``is_active``. Enabling a disabled subscription again starts
    its failures from zero and resumes its pending deliveries."""
    _check_may_manage(acting_user, subscription)
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise InvalidFields({name: _("This field cannot be changed.") for name in unknown})
    clean = {}
    if "url" in changes:
        clean["url"] = clean_webhook_url(changes["url"])
    if "event_types" in changes:
        clean["event_types"] = clean_event_types(changes["event_types"])
    if "is_active" in changes:
        if not isinstance(changes["is_active"], bool):
            raise InvalidFields({"is_active": _("Must be true or false.")})
        clean["is_active"] = changes["is_active"]
    with transaction.atomic():
        locked = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
        before = _summary(locked)
        if clean.get("is_active") and not locked.is_active:
            locked.consecutive_failures, locked.disabled_at, locked.disabled_reason = 0, None, ""
        for name, value in clean.items():
            setattr(locked, name, value)
        if clean:
            locked.save(update_fields=[*clean, "consecutive_failures", "disabled_at", "disabled_reason"])
        after = _summary(locked)
        changed = {name: [before[name], after[name]] for name in after if before[name] != after[name]}
        if changed:
            audit(
                ApiAuditEvent.WEBHOOK_UPDATED,
                locked,
                acting_user=acting_user,
                owner=locked.created_by,
                changes=changed,
            )
    return locked


def do_delete_webhook_subscription(subscription, *, acting_user):
    """Delete the subscription and its delivery log."""
    _check_may_manage(acting_user, subscription)
    with transaction.atomic():
        audit(
            ApiAuditEvent.WEBHOOK_DELETED,
            subscription,
            acting_user=acting_user,
            owner=subscription.created_by,
            **_summary(subscription),
        )
        WebhookSubscription.objects.filter(pk=subscription.pk).delete()
