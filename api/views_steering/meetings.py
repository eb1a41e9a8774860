"""Meetings: list (scoped), detail, create, change, invitations, answers, cancel, hold, documents, .ics."""

from django.db.models import Prefetch
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from api.filters import AwareDateTimeFilter  # a real UTC offset (PostgreSQL: ±15:59)
from api.views_base import GenericApiViewSet, ReadOnlyViewSet
from steering import actions, calendar, scope
from steering.models import (
    AgendaItem,
    Answer,
    DocumentKind,
    Invitation,
    Meeting,
    MeetingDocument,
    MeetingKind,
    MeetingStatus,
    WorkshopTopic,
)


class MeetingKindSerializer(serializers.ModelSerializer):
    class Meta:
        model = MeetingKind
        fields = ["code", "name", "name_en"]


class MeetingKindViewSet(ReadOnlyViewSet):
    """The kinds of meeting (administrators add kinds in the admin)."""

    serializer_class = MeetingKindSerializer
    lookup_field = "code"
    queryset = MeetingKind.objects.filter(is_active=True)
    pagination_class = None


class MeetingInvitationSerializer(serializers.ModelSerializer):
    person = serializers.CharField(source="person.get_full_name", read_only=True)
    person_id = serializers.IntegerField(read_only=True)
    organisation = serializers.CharField(source="person.organisation.code", read_only=True, default=None)

    class Meta:
        model = Invitation
        fields = [
            "id",
            "person_id",
            "person",
            "organisation",
            "answer",
            "represented_by",
            "answered_at",
            "attended",
        ]


class AgendaItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = AgendaItem
        fields = ["position", "title", "action"]


class DocumentSerializer(serializers.ModelSerializer):
    class Meta:
        model = MeetingDocument
        fields = ["id", "kind", "name", "content_type", "size", "uploaded_at"]


class MeetingSerializer(serializers.ModelSerializer):
    kind = serializers.SlugRelatedField(
        slug_field="code", queryset=MeetingKind.objects.filter(is_active=True)
    )
    organiser = serializers.CharField(source="organiser.get_full_name", read_only=True)
    invited_organisations = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Meeting
        fields = [
            "id",
            "kind",
            "title",
            "starts_at",
            "ends_at",
            "time_zone",
            "place",
            "video_url",
            "status",
            "organiser",
            "prepares",
            "invited_organisations",
            "invitations_sent_at",
            "sequence",
        ]
        read_only_fields = ["status", "invitations_sent_at", "sequence"]


class MeetingDetailSerializer(MeetingSerializer):
    invitations = MeetingInvitationSerializer(many=True, read_only=True)
    agenda_items = AgendaItemSerializer(many=True, read_only=True)
    decisions = serializers.SlugRelatedField(slug_field="text", many=True, read_only=True)
    documents = DocumentSerializer(many=True, read_only=True)

    class Meta(MeetingSerializer.Meta):
        fields = [
            *MeetingSerializer.Meta.fields,
            "minutes",
            "invitations",
            "agenda_items",
            "decisions",
            "documents",
        ]


class MeetingCreateSerializer(MeetingSerializer):
    invited_organisations = serializers.ListField(
        child=serializers.IntegerField(), required=False, default=list
    )
    invited_people = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    agenda = serializers.ListField(child=serializers.CharField(max_length=300), required=False, default=list)

    class Meta(MeetingSerializer.Meta):
        fields = [*MeetingSerializer.Meta.fields, "invited_people", "agenda"]


class MeetingAnswerSerializer(serializers.Serializer):
    answer = serializers.ChoiceField(choices=[c for c in Answer.choices if c[0] != Answer.PENDING])
    represented_by = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class HoldSerializer(serializers.Serializer):
    minutes = serializers.CharField(allow_blank=True)
    attended = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    decisions = serializers.ListField(child=serializers.CharField(), required=False, default=list)


class InviteSerializer(serializers.Serializer):
    people = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    organisations = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)


class DocumentUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    kind = serializers.ChoiceField(choices=DocumentKind.choices, default=DocumentKind.OTHER)


class TopicSerializer(serializers.ModelSerializer):
    proposed_by = serializers.CharField(source="proposed_by.username", read_only=True)

    class Meta:
        model = WorkshopTopic
        fields = ["id", "title", "description", "proposed_by", "proposed_at", "chosen"]
        read_only_fields = ["proposed_at", "chosen"]


class ChooseTopicSerializer(serializers.Serializer):
    topic = serializers.IntegerField()
    chosen = serializers.BooleanField(default=True)


class MeetingFilter(filters.FilterSet):
    kind = filters.CharFilter(field_name="kind__code")
    starts_after = AwareDateTimeFilter(field_name="starts_at", lookup_expr="gte")
    starts_before = AwareDateTimeFilter(field_name="starts_at", lookup_expr="lt")

    class Meta:
        model = Meeting
        fields = ["kind", "status", "starts_after", "starts_before"]


class MeetingViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    GenericApiViewSet,
):
    """Meetings the caller may see: the community sees all of them, a partner those it is invited to."""

    filterset_class = MeetingFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        queryset = Meeting.objects.select_related("kind", "organiser").prefetch_related(
            "invited_organisations"
        )
        if self.action != "list":
            queryset = queryset.prefetch_related(
                Prefetch("invitations", Invitation.objects.select_related("person__organisation")),
                "agenda_items",
                "decisions",
                "documents",
            )
        return scope.meetings_visible_to(self.request.user, queryset).order_by("starts_at", "pk")

    def get_serializer_class(self):
        if self.action == "create":
            return MeetingCreateSerializer
        if self.action == "list":
            return MeetingSerializer
        return MeetingDetailSerializer

    def _detail(self, meeting, status=200):
        fresh = self.get_queryset().get(pk=meeting.pk)
        return Response(
            MeetingDetailSerializer(fresh, context=self.get_serializer_context()).data, status=status
        )

    @extend_schema(request=MeetingCreateSerializer, responses={201: MeetingDetailSerializer})
    def create(self, request, *args, **kwargs):
        serializer = MeetingCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        prepares = data.pop("prepares", None)
        if prepares is not None:
            prepares = scope.meetings_visible_to(request.user).filter(pk=prepares.pk).first()
        meeting = actions.do_create_meeting(**data, prepares=prepares, acting_user=request.user)
        return self._detail(meeting, status=201)

    @extend_schema(request=MeetingSerializer, responses=MeetingDetailSerializer)
    def partial_update(self, request, *args, **kwargs):
        meeting = self.get_object()
        serializer = MeetingSerializer(
            meeting, data=request.data, partial=True, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        actions.do_update_meeting(meeting, changes=dict(serializer.validated_data), acting_user=request.user)
        return self._detail(meeting)

    def update(self, request, *args, **kwargs):
        return self.partial_update(request, *args, **kwargs)

    @extend_schema(request=None, responses=MeetingDetailSerializer)
    @action(detail=True, methods=["post"], url_path="send-invitations")
    def send_invitations(self, request, pk=None):
        """E-mail the invitations (with the .ics) to everyone invited."""
        meeting = actions.do_send_invitations(self.get_object(), acting_user=request.user)
        return self._detail(meeting)

    @extend_schema(request=InviteSerializer, responses=MeetingDetailSerializer)
    @action(detail=True, methods=["post"])
    def invite(self, request, pk=None):
        """Invite more people or organisations (they get their invitation at once if the others have)."""
        meeting = self.get_object()
        serializer = InviteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        actions.do_invite_people(meeting, **serializer.validated_data, acting_user=request.user)
        return self._detail(meeting)

    @extend_schema(request=MeetingAnswerSerializer, responses=MeetingInvitationSerializer)
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        """The caller's own answer: attending, not attending, or represented by someone."""
        meeting = self.get_object()
        invitation = Invitation.objects.filter(meeting=meeting, person=request.user).first()
        if invitation is None:
            raise serializers.ValidationError({"answer": [_("You are not invited to this meeting.")]})
        serializer = MeetingAnswerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invitation = actions.do_answer_invitation(
            invitation, **serializer.validated_data, acting_user=request.user
        )
        return Response(MeetingInvitationSerializer(invitation).data)

    @extend_schema(request=CancelSerializer, responses=MeetingDetailSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        serializer = CancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        meeting = actions.do_cancel_meeting(
            self.get_object(), **serializer.validated_data, acting_user=request.user
        )
        return self._detail(meeting)

    @extend_schema(request=HoldSerializer, responses=MeetingDetailSerializer)
    @action(detail=True, methods=["post"])
    def hold(self, request, pk=None):
        """Record that the meeting took place: minutes, who attended (person ids), decisions."""
        meeting = self.get_object()
        serializer = HoldSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        actions.do_hold_meeting(meeting, **serializer.validated_data, acting_user=request.user)
        return self._detail(meeting)

    @extend_schema(
        request={"multipart/form-data": DocumentUploadSerializer}, responses={201: DocumentSerializer}
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def documents(self, request, pk=None):
        """Add an agenda, slides or minutes: PDF, ODT/ODS/ODP or DOCX/XLSX/PPTX, checked by content."""
        meeting = self.get_object()
        serializer = DocumentUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        document = actions.do_attach_meeting_document(
            meeting,
            upload=serializer.validated_data["file"],
            kind=serializer.validated_data["kind"],
            acting_user=request.user,
        )
        return Response(DocumentSerializer(document).data, status=201)

    @extend_schema(request=TopicSerializer, responses=TopicSerializer(many=True))
    @action(detail=True, methods=["get", "post"])
    def topics(self, request, pk=None):
        """A workshop's topics: any partner who sees the workshop proposes one (POST)."""
        meeting = self.get_object()
        if request.method == "POST":
            serializer = TopicSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            actions.do_propose_topic(meeting, **serializer.validated_data, acting_user=request.user)
        topics = meeting.topics.select_related("proposed_by")
        return Response(
            TopicSerializer(topics, many=True).data, status=201 if request.method == "POST" else 200
        )

    @extend_schema(request=ChooseTopicSerializer, responses=TopicSerializer)
    @action(detail=True, methods=["post"], url_path="choose-topic")
    def choose_topic(self, request, pk=None):
        """The organiser chooses (or sets aside) a proposed topic."""
        meeting = self.get_object()
        serializer = ChooseTopicSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        topic = meeting.topics.filter(pk=serializer.validated_data["topic"]).first()
        if topic is None:
            raise serializers.ValidationError({"topic": [_("Unknown topic.")]})
        topic = actions.do_choose_topic(
            topic, chosen=serializer.validated_data["chosen"], acting_user=request.user
        )
        return Response(TopicSerializer(topic).data)

    @extend_schema(responses={(200, "text/calendar"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def ics(self, request, pk=None):
        """The meeting as an iCalendar file."""
        meeting = self.get_object()
        data = calendar.snapshot(meeting)
        response = HttpResponse(calendar.invitation_ics(data), content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="reunion-{meeting.pk}.ics"'
        return response


__all__ = ["MeetingKindViewSet", "MeetingStatus", "MeetingViewSet"]
