"""Intervention requests: file, read, list with filters, history, comments, attachments, transitions,
duplicate candidates, and the urgency alerts. Every write calls the procedures' or the engine's actions."""

from datetime import timedelta

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Exists, ExpressionWrapper, F, FloatField, OuterRef
from django.http import FileResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from django_filters.fields import IsoDateTimeField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from api.routing import RuleHandlerSerializer, RuleStepSerializer, request_rules
from api.scope import visible_alerts, visible_request_or_404, visible_requests
from api.views_base import GenericApiViewSet
from directory import geo
from engine import actions as engine_actions
from engine.models import Alert, Attachment, AuditEntry, Comment, Deadline, DeadlineState
from engine.queries import available_transitions, roles_of
from procedures import actions
from procedures.duplicates import duplicate_candidates
from procedures.models import Category, InterventionRequest, RequestMessage, Urgency
from procedures.uploads import check_uploads

MAX_NEAR_RADIUS_M = 20000


def _label(label):
    if isinstance(label, dict):
        language = (translation.get_language() or "fr")[:2]
        return label.get(language) or label.get("fr") or next(iter(label.values()), "")
    return str(label or "")


# --- serializers ---------------------------------------------------------------------------------


class CodeName(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class CommuneRef(serializers.Serializer):
    insee = serializers.CharField()
    name = serializers.CharField()


class HandlerRef(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    organisation = serializers.CharField()


def handler_of(request):
    if request.handler_unit_id:
        unit = request.handler_unit
        return {"code": unit.code, "name": unit.name, "organisation": unit.organisation.code}
    if request.handler_organisation_id:
        org = request.handler_organisation
        return {"code": None, "name": org.name, "organisation": org.code}
    return None


class RequestSummarySerializer(serializers.ModelSerializer):
    state = serializers.CharField(source="case.state", default=None)
    phase = serializers.CharField(source="case.phase", default=None)
    category = serializers.SerializerMethodField()
    commune = serializers.SerializerMethodField()
    handler = serializers.SerializerMethodField()

    class Meta:
        model = InterventionRequest
        fields = [
            "id",
            "reference",
            "state",
            "phase",
            "category",
            "commune",
            "handler",
            "urgency",
            "urgency_justified",
            "lat",
            "lon",
            "address",
            "created_at",
            "updated_at",
        ]

    def get_category(self, request) -> CodeName:
        return {"code": request.category.code, "name": request.category.name}

    def get_commune(self, request) -> CommuneRef:
        return {"insee": request.commune.insee, "name": request.commune.name}

    @extend_schema_field(HandlerRef(allow_null=True))
    def get_handler(self, request):
        return handler_of(request)


class DeadlineSerializer(serializers.ModelSerializer):
    due = serializers.DateTimeField(source="due_at")

    class Meta:
        model = Deadline
        fields = ["kind", "due", "state"]


class MessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = RequestMessage
        fields = ["kind", "body", "created_at"]


class RoutingSerializer(serializers.Serializer):
    handler = HandlerRef(allow_null=True)
    dispatcher = serializers.CharField(allow_null=True, help_text=gettext_lazy("Dispatching unit code."))
    to_qualify = serializers.BooleanField()
    explanation = serializers.CharField(
        help_text=gettext_lazy("What decided, as stored when the request was filed.")
    )
    rules = RuleStepSerializer(
        many=True,
        help_text=gettext_lazy(
            "The routing rules considered, in order, as GET /api/v1/routing/resolve/ gives them for the "
            "request's point and category (seasonal rules at its filing date). Computed from the current "
            "directory at rules_computed_at: not stored at filing."
        ),
    )
    decided_by = RuleStepSerializer(
        allow_null=True, help_text=gettext_lazy("The rule that decided, among `rules`; null if none did.")
    )
    rules_handler = RuleHandlerSerializer(
        allow_null=True, help_text=gettext_lazy("The handler these rules lead to.")
    )
    rules_match_handler = serializers.BooleanField(
        allow_null=True,
        help_text=gettext_lazy(
            "Whether these rules lead to the request's current handler and qualification status (false "
            "once the directory changed or the request was routed again); null if they could not be computed."
        ),
    )
    rules_computed_at = serializers.DateTimeField()
    rules_error = serializers.CharField(
        allow_null=True, help_text=gettext_lazy("Why the rules could not be computed, or null.")
    )


class RequestDetailSerializer(RequestSummarySerializer):
    routing = serializers.SerializerMethodField()
    deadlines = serializers.SerializerMethodField()
    messages = MessageSerializer(many=True, read_only=True)
    available_transitions = serializers.SerializerMethodField()
    urgency_criteria = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    revision = serializers.IntegerField(source="case.revision", default=None)
    requester_organisation = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta(RequestSummarySerializer.Meta):
        fields = [
            *RequestSummarySerializer.Meta.fields,
            "description",
            "attributes",
            "urgency_criteria",
            "requester_organisation",
            "routing",
            "deadlines",
            "messages",
            "available_transitions",
            "revision",
            "planned_date",
            "resolved_at",
            "closed_at",
        ]

    def get_routing(self, request) -> RoutingSerializer:
        return {
            "handler": handler_of(request),
            "dispatcher": request.dispatcher_unit.code if request.dispatcher_unit_id else None,
            "to_qualify": request.to_qualify,
            "explanation": request.routing_explanation,
            **request_rules(request),
        }

    def get_deadlines(self, request) -> DeadlineSerializer(many=True):
        if request.case_id is None:
            return []
        rows = (
            Deadline.objects.filter(case_id=request.case_id)
            .exclude(state=DeadlineState.VOID)
            .exclude(kind__startswith="alert:")  # alerts' answer clocks: the alerts carry their due time
        )
        return DeadlineSerializer(rows.order_by("started_at", "pk"), many=True).data

    def get_available_transitions(self, request) -> list[str]:
        if request.case_id is None:
            return []
        return [info.code for info in available_transitions(request.case, self.context["request"].user)]


class FileRequestSerializer(serializers.Serializer):
    """What filing takes; validation is the procedures' (do_file_request), not repeated here."""

    category = serializers.CharField(help_text=gettext_lazy("Category code."), allow_blank=True)
    description = serializers.CharField(allow_blank=True, trim_whitespace=False)
    lat = serializers.FloatField()
    lon = serializers.FloatField()
    address = serializers.CharField(required=False, allow_blank=True)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)
    urgency_criteria = serializers.ListField(child=serializers.CharField(), required=False)
    attributes = serializers.DictField(required=False)


# --- filters -------------------------------------------------------------------------------------


class AwareDateTimeField(IsoDateTimeField):
    """An ISO 8601 datetime whose UTC offset is a real one (at most 14 hours)."""

    def clean(self, value):
        value = super().clean(value)
        offset = value.utcoffset() if value is not None else None
        if offset is not None and abs(offset) > timedelta(hours=14):
            raise DjangoValidationError(_("The UTC offset must be at most 14 hours."), code="invalid")
        return value


class AwareDateTimeFilter(filters.IsoDateTimeFilter):
    field_class = AwareDateTimeField


class RequestFilter(filters.FilterSet):
    state = filters.CharFilter(method="filter_in", field_name="case__state", help_text="Comma-separated.")
    phase = filters.CharFilter(method="filter_in", field_name="case__phase", help_text="Comma-separated.")
    category = filters.CharFilter(method="filter_in", field_name="category__code")
    commune = filters.CharFilter(method="filter_in", field_name="commune__insee", help_text="INSEE codes.")
    handler = filters.CharFilter(method="filter_in", field_name="handler_unit__code", help_text="Unit codes.")
    urgency = filters.ChoiceFilter(choices=Urgency.choices)
    overdue = filters.BooleanFilter(method="filter_overdue", help_text="A running deadline is past due.")
    created_after = AwareDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = AwareDateTimeFilter(field_name="created_at", lookup_expr="lt")
    updated_after = AwareDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    updated_before = AwareDateTimeFilter(field_name="updated_at", lookup_expr="lt")
    near = filters.CharFilter(method="filter_near", help_text="`lon,lat` (WGS84); with `radius` in metres.")
    radius = filters.NumberFilter(method="filter_noop", help_text="Metres around `near` (default 500).")
    ordering = filters.OrderingFilter(fields=["created_at", "updated_at", "reference"])

    class Meta:
        model = InterventionRequest
        fields = []

    def filter_in(self, queryset, name, value):
        values = [item.strip() for item in value.split(",") if item.strip()]
        return queryset.filter(**{f"{name}__in": values}) if values else queryset

    def filter_overdue(self, queryset, name, value):
        late = Deadline.objects.filter(
            case_id=OuterRef("case_id"), state=DeadlineState.RUNNING, due_at__lt=timezone.now()
        )
        return queryset.filter(Exists(late)) if value else queryset.exclude(Exists(late))

    def filter_noop(self, queryset, name, value):
        return queryset

    def filter_near(self, queryset, name, value):
        try:
            lon, lat = (float(part) for part in value.split(","))
        except ValueError:
            raise exceptions.ValidationError({"near": [_("Give `lon,lat` in WGS84 degrees.")]}) from None
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise exceptions.ValidationError({"near": [_("Give `lon,lat` in WGS84 degrees.")]})
        radius = self.form.cleaned_data.get("radius")
        radius = 500.0 if radius is None else float(radius)
        if not 0 < radius <= MAX_NEAR_RADIUS_M:
            raise exceptions.ValidationError(
                {"radius": [_("Between 0 and %(max)d metres.") % {"max": MAX_NEAR_RADIUS_M}]}
            )
        x, y = geo.point_lambert93(lon, lat)
        dx, dy = F("x_l93") - x, F("y_l93") - y
        return (
            queryset.filter(x_l93__range=(x - radius, x + radius), y_l93__range=(y - radius, y + radius))
            .alias(distance2=ExpressionWrapper(dx * dx + dy * dy, output_field=FloatField()))
            .filter(distance2__lte=radius * radius)
        )


# --- views ---------------------------------------------------------------------------------------


def _summary_queryset(queryset):
    return queryset.select_related(
        "case", "category", "commune", "handler_unit__organisation", "handler_organisation"
    )


class TransitionFieldSerializer(serializers.Serializer):
    type = serializers.CharField()
    required = serializers.BooleanField()
    label = serializers.CharField()
    choices = serializers.ListField(child=serializers.CharField(), required=False)


class TransitionSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    to = serializers.CharField()
    fields = serializers.DictField(child=TransitionFieldSerializer())
    ready = serializers.BooleanField(help_text=gettext_lazy("No guard blocks it now (without fields)."))
    guard_failures = serializers.ListField(child=serializers.DictField())


def transition_data(info):
    fields = {}
    for name, spec in info.fields.items():
        field = {
            "type": spec["type"],
            "required": spec["required"],
            "label": _label(spec.get("label")) or name,
        }
        if spec.get("choices"):
            field["choices"] = spec["choices"]
        fields[name] = field
    return {
        "code": info.code,
        "label": _label(info.label),
        "to": info.to,
        "fields": fields,
        "ready": info.ready,
        "guard_failures": info.guard_failures,
    }


class FireSerializer(serializers.Serializer):
    fields = serializers.DictField(required=False, help_text=gettext_lazy("The transition's fields."))
    reason = serializers.CharField(required=False, allow_blank=True)
    expected_revision = serializers.IntegerField(
        required=False, help_text=gettext_lazy("The request's `revision` as read: 409 if it changed since.")
    )


class AssignSerializer(serializers.Serializer):
    agent = serializers.CharField(help_text=gettext_lazy("The agent in charge: a username or a user id."))
    reason = serializers.CharField(required=False, allow_blank=True)


class ShareSerializer(serializers.Serializer):
    id = serializers.IntegerField(
        help_text=gettext_lazy("The user's id (DELETE shares/{id}/ takes it back).")
    )
    username = serializers.CharField()
    full_name = serializers.CharField()
    organisation = serializers.CharField(allow_null=True, help_text=gettext_lazy("The user's organisation."))
    granted_at = serializers.DateTimeField(allow_null=True)
    granted_by = serializers.CharField(
        allow_null=True,
        help_text=gettext_lazy(
            "The username of who shared it (null: the system). They may take it back in any state."
        ),
    )


def share_data(user):
    return {
        "id": user.pk,
        "username": user.username,
        "full_name": user.get_full_name(),
        "organisation": user.organisation.name if user.organisation_id else None,
        "granted_at": getattr(user, "shared_at", None),
        "granted_by": getattr(user, "shared_by", None),
    }


class ShareInSerializer(serializers.Serializer):
    user = serializers.CharField(
        help_text=gettext_lazy("Who to show the request to: a username or a user id.")
    )
    reason = serializers.CharField(required=False, allow_blank=True)


class HistorySerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = AuditEntry
        fields = ["at", "event", "from_state", "to_state", "reason", "actor"]

    def get_actor(self, entry) -> str | None:
        """The actor's organisation (or unit), not the person; None for the system."""
        actor = entry.actor
        if actor is None:
            return None
        if actor.unit_id:
            return actor.unit.name
        return actor.organisation.name if actor.organisation_id else None


class CommentSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()

    class Meta:
        model = Comment
        fields = ["id", "body", "internal", "author", "created_at"]

    def get_author(self, comment) -> str | None:
        author = comment.author
        if author is None:
            return None
        name = author.get_full_name() or author.username
        org = (
            author.unit.name
            if author.unit_id
            else (author.organisation.name if author.organisation_id else "")
        )
        return f"{name} ({org})" if org else name


class CommentInSerializer(serializers.Serializer):
    body = serializers.CharField()
    internal = serializers.BooleanField(required=False, default=False)


class AttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attachment
        fields = ["id", "name", "size_bytes", "description", "created_at"]


class AttachmentInSerializer(serializers.Serializer):
    file = serializers.FileField()
    description = serializers.CharField(required=False, allow_blank=True)


class AlertSerializer(serializers.ModelSerializer):
    request = serializers.SerializerMethodField()

    class Meta:
        model = Alert
        fields = [
            "id",
            "code",
            "state",
            "request",
            "reason",
            "raised_at",
            "answer_due_at",
            "answer",
            "answered_at",
            "outcome",
            "note",
            "closed_at",
        ]

    def get_request(self, alert) -> inline_serializer(
        "AlertRequest", fields={"id": serializers.IntegerField(), "reference": serializers.CharField()}
    ):
        request = alert.case.intervention_request
        return {"id": request.pk, "reference": request.reference}


class RequestViewSet(GenericApiViewSet):
    """Intervention requests the caller may see (out of scope: 404)."""

    filterset_class = RequestFilter
    parser_classes = [JSONParser, FormParser, MultiPartParser]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        queryset = _summary_queryset(visible_requests(self.request.user))
        if self.action == "retrieve":
            queryset = queryset.select_related("dispatcher_unit", "requester_organisation", "case__version")
            queryset = queryset.prefetch_related("urgency_criteria", "messages")
        return queryset.order_by("-created_at", "-id")

    def get_serializer_class(self):
        if self.action == "list":
            return RequestSummarySerializer
        if self.action == "create":
            return FileRequestSerializer
        return RequestDetailSerializer

    def get_request(self):
        return visible_request_or_404(
            self.request.user,
            self.kwargs["pk"],
            _summary_queryset(InterventionRequest.objects.all()).select_related("case__version"),
        )

    def _detail(self, request_obj, status_code=status.HTTP_200_OK):
        obj = (
            _summary_queryset(InterventionRequest.objects.filter(pk=request_obj.pk))
            .select_related("dispatcher_unit", "requester_organisation", "case__version")
            .prefetch_related("urgency_criteria", "messages")
            .get()
        )
        return Response(
            RequestDetailSerializer(obj, context=self.get_serializer_context()).data, status=status_code
        )

    @extend_schema(responses={200: RequestSummarySerializer(many=True)})
    def list(self, request):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(RequestSummarySerializer(page, many=True).data)

    @extend_schema(responses={200: RequestDetailSerializer})
    def retrieve(self, request, pk=None):
        obj = visible_request_or_404(request.user, pk, self.get_queryset())
        return Response(RequestDetailSerializer(obj, context=self.get_serializer_context()).data)

    @extend_schema(request=FileRequestSerializer, responses={201: RequestDetailSerializer})
    def create(self, request):
        data = FileRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        filed = actions.do_file_request(
            acting_user=request.user,
            category=values["category"],
            description=values["description"],
            lon=values["lon"],
            lat=values["lat"],
            address=values.get("address", ""),
            urgency=values.get("urgency", Urgency.NORMAL),
            urgency_criteria=values.get("urgency_criteria", []),
            attributes=values.get("attributes") or {},
        )
        return self._detail(filed, status.HTTP_201_CREATED)

    @extend_schema(responses={200: HistorySerializer(many=True)})
    @action(detail=True)
    def history(self, request, pk=None):
        obj = self.get_request()
        entries = AuditEntry.objects.filter(case_id=obj.case_id).select_related(
            "actor__unit", "actor__organisation"
        )
        page = self.paginate_queryset(entries.order_by("at", "pk"))
        return self.get_paginated_response(HistorySerializer(page, many=True).data)

    def _hides_internal(self, obj):
        """Internal comments are not shown to the requester side (engine.models.Comment.internal)."""
        if obj.case_id is None:
            return True
        roles = roles_of(self.request.user, obj.case)
        from procedures.scope import is_administrator

        return not is_administrator(self.request.user) and roles <= {"requester"}

    @extend_schema(methods=["GET"], responses={200: CommentSerializer(many=True)})
    @extend_schema(methods=["POST"], request=CommentInSerializer, responses={201: CommentSerializer})
    @action(detail=True, methods=["get", "post"])
    def comments(self, request, pk=None):
        obj = self.get_request()
        if request.method == "POST":
            data = CommentInSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            comment = engine_actions.do_comment(
                obj.case,
                acting_user=request.user,
                body=data.validated_data["body"],
                internal=data.validated_data["internal"],
            )
            return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)
        comments = Comment.objects.filter(case_id=obj.case_id).select_related(
            "author__unit", "author__organisation"
        )
        if self._hides_internal(obj):
            comments = comments.filter(internal=False)
        page = self.paginate_queryset(comments.order_by("created_at", "pk"))
        return self.get_paginated_response(CommentSerializer(page, many=True).data)

    @extend_schema(methods=["GET"], responses={200: AttachmentSerializer(many=True)})
    @extend_schema(methods=["POST"], request=AttachmentInSerializer, responses={201: AttachmentSerializer})
    @action(detail=True, methods=["get", "post"])
    def attachments(self, request, pk=None):
        obj = self.get_request()
        if request.method == "POST":
            data = AttachmentInSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            upload = data.validated_data["file"]
            try:
                check_uploads([upload])  # the procedures' content check (what the UI applies too)
            except DjangoValidationError as exc:
                raise exceptions.ValidationError({"file": exc.messages}) from None
            attachment = engine_actions.do_attach(
                obj.case,
                acting_user=request.user,
                file=upload,
                description=data.validated_data.get("description", ""),
            )
            return Response(AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)
        rows = Attachment.objects.filter(case_id=obj.case_id).order_by("created_at", "pk")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(AttachmentSerializer(page, many=True).data)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, url_path=r"attachments/(?P<attachment_id>\d+)", url_name="attachment-file")
    def attachment_file(self, request, pk=None, attachment_id=None):
        obj = self.get_request()
        attachment = Attachment.objects.filter(case_id=obj.case_id, pk=attachment_id).first()
        if attachment is None:
            raise exceptions.NotFound(_("No such attachment on this request."))
        return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.name)

    @extend_schema(
        request=inline_serializer("UrgencyCheck", fields={"reason": serializers.CharField()}),
        responses={201: AlertSerializer},
    )
    @action(detail=True, methods=["post"], url_path="urgency-check", url_name="urgency-check")
    def urgency_check(self, request, pk=None):
        """The DVQ asks the commune to justify the urgency (an `urgency_check` alert)."""
        obj = self.get_request()
        reason = request.data.get("reason", "") if isinstance(request.data, dict) else ""
        alert = actions.do_raise_urgency_alert(obj, acting_user=request.user, reason=str(reason))
        alert = Alert.objects.select_related("case__intervention_request").get(pk=alert.pk)
        return Response(AlertSerializer(alert).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: TransitionSerializer(many=True)})
    @action(detail=True, methods=["get"], url_path="transitions")
    def transitions(self, request, pk=None):
        obj = self.get_request()
        infos = available_transitions(obj.case, request.user) if obj.case_id else []
        return Response([transition_data(info) for info in infos])

    @extend_schema(request=FireSerializer, responses={200: RequestDetailSerializer})
    @action(detail=True, methods=["post"], url_path=r"transitions/(?P<code>[\w-]+)", url_name="fire")
    def fire(self, request, pk=None, code=None):
        obj = self.get_request()
        payload = request.data if isinstance(request.data, dict) else {}
        data = FireSerializer(data=payload)
        data.is_valid(raise_exception=True)
        fields = data.validated_data.get("fields")
        if fields is None:  # the fields may also be given at the top level of the body
            fields = {k: v for k, v in payload.items() if k not in ("reason", "expected_revision", "fields")}
        actions.do_transition_request(
            obj,
            code,
            acting_user=request.user,
            fields=fields,
            reason=data.validated_data.get("reason", ""),
            expected_revision=data.validated_data.get("expected_revision"),
        )
        return self._detail(obj)

    @extend_schema(request=AssignSerializer, responses={200: RequestDetailSerializer})
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """Put an agent of the handler unit (or a unit below) in charge of the request, at any stage
        while it is open (the request's dispatcher and supervisor)."""
        obj = self.get_request()
        data = AssignSerializer(data=request.data if isinstance(request.data, dict) else {})
        data.is_valid(raise_exception=True)
        actions.do_assign_request_agent(
            obj,
            data.validated_data["agent"],
            acting_user=request.user,
            reason=data.validated_data.get("reason", ""),
        )
        return self._detail(obj)

    def _shares(self, obj):
        return engine_actions.case_shared_with(obj.case).select_related("organisation")

    @extend_schema(methods=["GET"], responses={200: ShareSerializer(many=True)})
    @extend_schema(
        methods=["POST"], request=ShareInSerializer, responses={201: ShareSerializer, 200: ShareSerializer}
    )
    @action(detail=True, methods=["get", "post"])
    def shares(self, request, pk=None):
        """One-off shares: the request shown, read only, to one person outside its scope (a landlord's
        agent, a contractor's site manager, an elected official of another commune). Sharing is for
        those who may act on the request now (its dispatcher, handler...: 403 otherwise); the list is
        for them and, in any state of the request, for whoever granted one of its shares (403
        otherwise). Each item names who granted it (`granted_by`). POST answers 201, or 200 when the
        user already had the share (nothing changes)."""
        obj = self.get_request()
        if obj.case_id is None:
            raise exceptions.NotFound()
        if request.method == "POST":
            data = ShareInSerializer(data=request.data if isinstance(request.data, dict) else {})
            data.is_valid(raise_exception=True)
            user, created = actions.do_share_request(
                obj,
                data.validated_data["user"],
                acting_user=request.user,
                reason=data.validated_data.get("reason", ""),
            )
            share = self._shares(obj).get(pk=user.pk)
            return Response(
                ShareSerializer(share_data(share)).data,
                status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
            )
        engine_actions.check_may_see_shares(obj.case, request.user)
        page = self.paginate_queryset(self._shares(obj))
        return self.get_paginated_response(ShareSerializer([share_data(u) for u in page], many=True).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("user_id", OpenApiTypes.INT, OpenApiParameter.PATH),
            OpenApiParameter(
                "reason", OpenApiTypes.STR, description=gettext_lazy("Why (kept in the history).")
            ),
        ],
        request=None,
        responses={204: None},
    )
    @action(detail=True, methods=["delete"], url_path=r"shares/(?P<user_id>\d+)", url_name="share")
    def unshare(self, request, pk=None, user_id=None):
        """Take a share back: the request is out of that user's scope again (404 for them). Allowed to
        those who may act on the request now and, in any state (rejected, closed...), to whoever
        granted that share (403 otherwise)."""
        obj = self.get_request()
        if obj.case_id is None:
            raise exceptions.NotFound()
        body = request.data if isinstance(request.data, dict) else {}
        reason = str(body.get("reason") or request.query_params.get("reason", ""))
        actions.do_unshare_request(obj, int(user_id), acting_user=request.user, reason=reason)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        parameters=[
            OpenApiParameter("lat", OpenApiTypes.DOUBLE, required=True),
            OpenApiParameter("lon", OpenApiTypes.DOUBLE, required=True),
            OpenApiParameter("category", OpenApiTypes.STR, required=True),
        ],
        responses={200: RequestSummarySerializer(many=True)},
        filters=False,
    )
    @action(detail=False, filter_backends=[])
    def duplicates(self, request):
        """Requests that may already report the same thing, nearest first (only those you may see)."""
        errors = {}
        coords = {}
        for name in ("lat", "lon"):
            try:
                coords[name] = float(request.query_params[name])
            except KeyError:
                errors[name] = [_("This parameter is required.")]
            except ValueError:
                errors[name] = [_("A number is required.")]
        code = request.query_params.get("category")
        category = Category.objects.filter(code=code).first() if code else None
        if category is None:
            errors["category"] = [_("Unknown category.") if code else _("This parameter is required.")]
        if not errors and not (-180 <= coords["lon"] <= 180 and -90 <= coords["lat"] <= 90):
            errors["lat"] = [_("Longitude and latitude must be WGS84 degrees.")]
        if errors:
            raise exceptions.ValidationError(errors)
        candidates = duplicate_candidates(
            category,
            coords["lon"],
            coords["lat"],
            queryset=_summary_queryset(visible_requests(request.user)),
        )
        page = self.paginate_queryset(candidates)
        return self.get_paginated_response(RequestSummarySerializer(page, many=True).data)


# --- alerts --------------------------------------------------------------------------------------


class AlertFilter(filters.FilterSet):
    state = filters.CharFilter(method="filter_in", field_name="state", help_text="Comma-separated.")
    request = filters.NumberFilter(
        field_name="case__intervention_request", min_value=1, max_value=2**63 - 1, help_text="Request id."
    )

    class Meta:
        model = Alert
        fields = ["code"]

    def filter_in(self, queryset, name, value):
        values = [item.strip() for item in value.split(",") if item.strip()]
        return queryset.filter(**{f"{name}__in": values}) if values else queryset


class AnswerSerializer(serializers.Serializer):
    justification = serializers.CharField()


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True)


class AlertViewSet(GenericApiViewSet):
    """Alerts on the requests the caller may see, each naming its request."""

    serializer_class = AlertSerializer
    filterset_class = AlertFilter

    def get_queryset(self):
        return (
            visible_alerts(self.request.user)
            .select_related("case__intervention_request")
            .order_by("-raised_at", "-pk")
        )

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(AlertSerializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        return Response(AlertSerializer(self.get_object()).data)

    def _open_alert_request(self):
        alert = self.get_object()
        request_obj = alert.case.intervention_request
        current = actions.open_urgency_alert(request_obj)
        if current is None or current.pk != alert.pk:
            raise exceptions.ValidationError(
                {"non_field_errors": [_("This alert is closed.")]}, code="invalid_transition"
            )
        return alert, request_obj

    def _answer(self, alert):
        alert.refresh_from_db()
        return Response(AlertSerializer(alert).data)

    @extend_schema(request=AnswerSerializer, responses={200: AlertSerializer})
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        alert, request_obj = self._open_alert_request()
        data = AnswerSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        actions.do_justify_urgency(
            request_obj, acting_user=request.user, answer=data.validated_data["justification"]
        )
        return self._answer(alert)

    @extend_schema(request=NoteSerializer, responses={200: AlertSerializer})
    @action(detail=True, methods=["post"])
    def uphold(self, request, pk=None):
        alert, request_obj = self._open_alert_request()
        data = NoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        actions.do_uphold_urgency_alert(
            request_obj, acting_user=request.user, note=data.validated_data.get("note", "")
        )
        return self._answer(alert)

    @extend_schema(request=NoteSerializer, responses={200: AlertSerializer})
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        alert, request_obj = self._open_alert_request()
        data = NoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        actions.do_dismiss_urgency_alert(
            request_obj, acting_user=request.user, note=data.validated_data.get("note", "")
        )
        return self._answer(alert)
