"""Webhook subscriptions of the caller's organisation, and their delivery log."""

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from rest_framework import mixins, permissions, serializers

from api import targets
from api.models import WebhookDelivery, WebhookEventType, WebhookSubscription
from api.views_base import GenericApiViewSet
from directory.roles import Role

MANAGER_ROLES = {Role.REFERENT, Role.SUPERVISOR, Role.ADMINISTRATOR}


class CanManageWebhooks(permissions.BasePermission):
    message = gettext_lazy(
        "Only an organisation's referents, supervisors or administrators may manage its webhooks."
    )

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return True
        user = request.user
        return bool(user.is_superuser or (user.organisation_id and user.role_codes & MANAGER_ROLES))


class SubscriptionSerializer(serializers.ModelSerializer):
    organisation = serializers.SlugRelatedField(slug_field="code", read_only=True)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEventType.choices), allow_empty=False
    )

    class Meta:
        model = WebhookSubscription
        fields = [
            "id",
            "organisation",
            "url",
            "event_types",
            "is_active",
            "consecutive_failures",
            "disabled_at",
            "disabled_reason",
            "created_at",
        ]
        read_only_fields = ["consecutive_failures", "disabled_at", "disabled_reason", "created_at"]

    def validate_url(self, value):
        scheme = value.split(":", 1)[0].lower()
        allowed = ("https",) if getattr(settings, "PRODUCTION", False) else ("https", "http")
        if scheme not in allowed:
            raise serializers.ValidationError(
                _("The URL must use %(schemes)s.") % {"schemes": " or ".join(allowed)}
            )
        try:
            targets.check_url(value)
        except targets.TargetRefused as exc:
            raise serializers.ValidationError(str(exc)) from None
        return value

    def validate_event_types(self, value):
        return sorted(set(value))

    def update(self, instance, validated_data):
        if validated_data.get("is_active") and not instance.is_active:
            # Enabling again: failures start from zero, pending deliveries resume.
            validated_data.update(consecutive_failures=0, disabled_at=None, disabled_reason="")
        return super().update(instance, validated_data)


class SubscriptionCreatedSerializer(SubscriptionSerializer):
    secret = serializers.CharField(
        read_only=True, help_text=gettext_lazy("The signing secret: shown once, at creation.")
    )

    class Meta(SubscriptionSerializer.Meta):
        fields = [*SubscriptionSerializer.Meta.fields, "secret"]


class SubscriptionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    GenericApiViewSet,
):
    """Webhook subscriptions of the caller's organisation (administrators: all)."""

    permission_classes = [permissions.IsAuthenticated, CanManageWebhooks]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_serializer_class(self):
        return SubscriptionCreatedSerializer if self.action == "create" else SubscriptionSerializer

    queryset = WebhookSubscription.objects.none()  # for the schema

    def get_queryset(self):
        queryset = WebhookSubscription.objects.select_related("organisation").order_by("pk")
        if getattr(self, "swagger_fake_view", False):
            return queryset.none()
        user = self.request.user
        if user.is_superuser or user.has_role(Role.ADMINISTRATOR):
            return queryset
        return (
            queryset.filter(organisation_id=user.organisation_id) if user.organisation_id else queryset.none()
        )

    def perform_create(self, serializer):
        user = self.request.user
        if not user.organisation_id:
            raise serializers.ValidationError(
                {"non_field_errors": [_("You do not act for an organisation.")]}
            )
        serializer.save(organisation_id=user.organisation_id, created_by=user)


class DeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "subscription",
            "event_id",
            "event_type",
            "status",
            "attempts",
            "last_attempt_at",
            "last_status_code",
            "last_error",
            "next_attempt_at",
            "created_at",
            "delivered_at",
            "body",
        ]


class DeliveryFilter(filters.FilterSet):
    class Meta:
        model = WebhookDelivery
        fields = ["subscription", "status", "event_type"]


class DeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericApiViewSet):
    """The delivery log of the caller's organisation's subscriptions, newest first."""

    serializer_class = DeliverySerializer
    filterset_class = DeliveryFilter

    queryset = WebhookDelivery.objects.none()  # for the schema

    def get_queryset(self):
        queryset = WebhookDelivery.objects.order_by("-pk")
        if getattr(self, "swagger_fake_view", False):
            return queryset.none()
        user = self.request.user
        if user.is_superuser or user.has_role(Role.ADMINISTRATOR):
            return queryset
        if not user.organisation_id:
            return queryset.none()
        return queryset.filter(subscription__organisation_id=user.organisation_id)
