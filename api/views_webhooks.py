"""Webhook subscriptions of the caller (administrators: all), and their delivery log.

A subscription belongs to its owner: anyone else gets 404. Writes go through api.actions.
"""

from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from rest_framework import mixins, permissions, serializers, status
from rest_framework.response import Response

from api import actions
from api.models import WebhookDelivery, WebhookEventType, WebhookSubscription
from api.views_base import GenericApiViewSet
from engine.errors import InvalidFields


class CanManageWebhooks(permissions.BasePermission):
    message = gettext_lazy(
        "Only an organisation's referents, supervisors or administrators may manage its webhooks."
    )

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return True
        return actions.may_create_webhook_subscription(request.user)


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
        try:
            return actions.clean_webhook_url(value)
        except InvalidFields as exc:
            raise serializers.ValidationError(exc.errors["url"]) from None

    def validate_event_types(self, value):
        return sorted(set(value))


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
    """The caller's own webhook subscriptions (administrators: all)."""

    permission_classes = [permissions.IsAuthenticated, CanManageWebhooks]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_serializer_class(self):
        return SubscriptionCreatedSerializer if self.action == "create" else SubscriptionSerializer

    queryset = WebhookSubscription.objects.none()  # for the schema

    def get_queryset(self):
        queryset = WebhookSubscription.objects.select_related("organisation").order_by("pk")
        if getattr(self, "swagger_fake_view", False):
            return queryset.none()
        return actions.subscriptions_visible_to(self.request.user, queryset)

    def perform_create(self, serializer):
        serializer.instance = actions.do_create_webhook_subscription(
            acting_user=self.request.user,
            url=serializer.validated_data["url"],
            event_types=serializer.validated_data["event_types"],
        )

    def perform_update(self, serializer):
        serializer.instance = actions.do_update_webhook_subscription(
            serializer.instance, acting_user=self.request.user, **serializer.validated_data
        )

    def destroy(self, request, *args, **kwargs):
        actions.do_delete_webhook_subscription(self.get_object(), acting_user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


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


def _own_subscriptions(request):
    if request is None:
        return WebhookSubscription.objects.none()
    return actions.subscriptions_visible_to(request.user)


class DeliveryFilter(filters.FilterSet):
    # Someone else's subscription is as unknown as one that does not exist.
    subscription = filters.ModelChoiceFilter(queryset=_own_subscriptions)

    class Meta:
        model = WebhookDelivery
        fields = ["subscription", "status", "event_type"]


class DeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericApiViewSet):
    """The delivery log of the caller's own subscriptions (administrators: all), newest first."""

    serializer_class = DeliverySerializer
    filterset_class = DeliveryFilter

    queryset = WebhookDelivery.objects.none()  # for the schema

    def get_queryset(self):
        queryset = WebhookDelivery.objects.order_by("-pk")
        if getattr(self, "swagger_fake_view", False):
            return queryset.none()
        return actions.deliveries_visible_to(self.request.user, queryset)
