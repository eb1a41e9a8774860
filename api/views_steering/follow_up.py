"""Actions and their follow-up (one list across meetings, with filters; the caller's own with
``mine=true``), and recommendations to urban-renewal teams."""

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from api.filters import IdFilter
from api.views_base import GenericApiViewSet
from directory.models import Organisation, Perimeter, User
from steering import actions, scope
from steering.models import (
    OPEN_ACTION_STATUSES,
    Action,
    ActionStatus,
    Decision,
    Meeting,
    Recommendation,
    RecommendationStatus,
)


class SteeringActionSerializer(serializers.ModelSerializer):
    owner_organisation = serializers.SlugRelatedField(slug_field="code", queryset=Organisation.objects.all())
    owner_person = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    commune = serializers.SlugRelatedField(
        slug_field="code", queryset=Organisation.objects.all(), required=False, allow_null=True
    )
    qpv = serializers.SlugRelatedField(
        slug_field="code", queryset=Perimeter.objects.filter(layer="qpv"), required=False, allow_null=True
    )
    meeting = serializers.PrimaryKeyRelatedField(
        queryset=Meeting.objects.all(), required=False, allow_null=True
    )
    decision = serializers.PrimaryKeyRelatedField(
        queryset=Decision.objects.all(), required=False, allow_null=True
    )
    is_overdue = serializers.SerializerMethodField()

    class Meta:
        model = Action
        fields = [
            "id",
            "title",
            "description",
            "owner_organisation",
            "owner_person",
            "due_date",
            "status",
            "abandon_reason",
            "is_overdue",
            "meeting",
            "decision",
            "commune",
            "qpv",
            "source",
            "created_at",
        ]
        read_only_fields = ["status", "abandon_reason", "created_at"]

    def get_is_overdue(self, obj) -> bool:
        return obj.is_overdue()


class StatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ActionStatus.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ActionFilter(filters.FilterSet):
    owner = filters.CharFilter(field_name="owner_organisation__code")
    status = filters.MultipleChoiceFilter(choices=ActionStatus.choices)
    overdue = filters.BooleanFilter(method="filter_overdue")
    qpv = filters.CharFilter(field_name="qpv__code")
    kind = filters.CharFilter(field_name="meeting__kind__code")
    meeting = IdFilter(field_name="meeting_id")
    mine = filters.BooleanFilter(method="filter_mine")

    class Meta:
        model = Action
        fields = ["owner", "status", "overdue", "qpv", "kind", "meeting", "mine"]

    def filter_overdue(self, queryset, name, value):
        late = Q(status__in=OPEN_ACTION_STATUSES, due_date__lt=timezone.localdate())
        return queryset.filter(late) if value else queryset.exclude(late)

    def filter_mine(self, queryset, name, value):
        user = self.request.user
        mine = Q(owner_person_id=user.pk) | Q(
            owner_organisation_id=user.organisation_id, owner_person__isnull=True
        )
        return queryset.filter(mine) if value else queryset


class ActionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    GenericApiViewSet,
):
    """Actions decided in meetings: the community sees all of them, a partner the actions it owns or
    that concern its territory."""

    serializer_class = SteeringActionSerializer
    filterset_class = ActionFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        queryset = Action.objects.select_related("owner_organisation", "commune", "qpv")
        return scope.actions_visible_to(self.request.user, queryset).order_by("due_date", "pk")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        for field in ("meeting", "decision"):
            if data.get(field) is not None:
                meeting = data[field] if field == "meeting" else data[field].meeting
                if not scope.meetings_visible_to(self.request.user).filter(pk=meeting.pk).exists():
                    raise serializers.ValidationError({field: [_("Unknown meeting.")]})
        serializer.instance = actions.do_create_action(**data, acting_user=self.request.user)

    def perform_update(self, serializer):
        changes = {k: v for k, v in serializer.validated_data.items() if k in actions.follow_up.EDITABLE}
        serializer.instance = actions.do_update_action(
            serializer.instance, changes=changes, acting_user=self.request.user
        )

    @extend_schema(request=StatusSerializer, responses=SteeringActionSerializer)
    @action(detail=True, methods=["post"])
    def status(self, request, pk=None):
        """Planned, in progress, done, or abandoned (with the reason)."""
        serializer = StatusSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        updated = actions.do_change_action_status(
            self.get_object(), **serializer.validated_data, acting_user=request.user
        )
        return Response(SteeringActionSerializer(updated, context=self.get_serializer_context()).data)


class RecommendationSerializer(serializers.ModelSerializer):
    qpv = serializers.SlugRelatedField(
        slug_field="code", queryset=Perimeter.objects.filter(layer="qpv"), required=False, allow_null=True
    )

    class Meta:
        model = Recommendation
        fields = [
            "id",
            "project",
            "qpv",
            "issue",
            "recommendation",
            "source",
            "status",
            "answer",
            "created_at",
        ]
        read_only_fields = ["status", "answer", "created_at"]


class RecommendationAnswerSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=RecommendationStatus.choices)
    answer = serializers.CharField(required=False, allow_blank=True, default="")


class RecommendationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, GenericApiViewSet
):
    """Recommendations to urban-renewal teams (NPNRU project or QPV) and their answer."""

    serializer_class = RecommendationSerializer
    filterset_fields = ["status"]

    def get_queryset(self):
        return scope.recommendations_visible_to(
            self.request.user, Recommendation.objects.select_related("qpv")
        )

    def perform_create(self, serializer):
        serializer.instance = actions.do_create_recommendation(
            **serializer.validated_data, acting_user=self.request.user
        )

    @extend_schema(request=RecommendationAnswerSerializer, responses=RecommendationSerializer)
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        serializer = RecommendationAnswerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        row = actions.do_answer_recommendation(
            self.get_object(), **serializer.validated_data, acting_user=request.user
        )
        return Response(RecommendationSerializer(row).data)
