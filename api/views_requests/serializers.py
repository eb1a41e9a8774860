"""Serializers of intervention requests, their history, comments, attachments, shares and transitions."""

from django.utils import translation
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from accounts.models import PersonalDataMark, PersonalText
from api.routing import RuleHandlerSerializer, RuleStepSerializer, request_rules
from engine.models import Alert, Attachment, AuditEntry, Comment, Deadline, DeadlineState
from engine.queries import available_transitions
from procedures import actions
from procedures.actions._common import MAX_REASON
from procedures.attributes import number_error_message, parse_number
from procedures.models import InterventionRequest, RequestMessage, Urgency

MAX_NEAR_RADIUS_M = 20000


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
        in_hand = self.context.get("deadlines", {}).get(request.case_id)  # known when just filed
        if in_hand is not None:
            rows = sorted(
                (d for d in in_hand if d.state != DeadlineState.VOID and not d.kind.startswith("alert:")),
                key=lambda d: (d.started_at, d.pk),
            )
            return DeadlineSerializer(rows, many=True).data
        rows = (
            Deadline.objects.filter(case_id=request.case_id)
            .exclude(state=DeadlineState.VOID)
            .exclude(kind__startswith="alert:")  # alerts' answer clocks: the alerts carry their due time
        )
        return DeadlineSerializer(rows.order_by("started_at", "pk"), many=True).data

    def get_available_transitions(self, request) -> list[str]:
        if request.case_id is None:
            return []
        holders = self.context.get("holders", {}).get(request.case_id)  # known when just filed
        return [
            info.code for info in available_transitions(request.case, self.context["request"].user, holders)
        ]


class DecimalNumberField(serializers.FloatField):
    """A JSON number, or a text with a point or ONE comma before the decimals ("49,0085" is 49.0085, as
    in the web forms); anything ambiguous ("1,234.5") is a 400 saying so, never a changed value."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            try:
                data = parse_number(data)
            except ValueError:
                raise serializers.ValidationError(number_error_message()) from None
        return super().to_internal_value(data)


class FileRequestSerializer(serializers.Serializer):
    """What filing takes; validation is the procedures' (do_file_request), not repeated here."""

    category = serializers.CharField(help_text=gettext_lazy("Category code."), allow_blank=True)
    description = serializers.CharField(allow_blank=True, trim_whitespace=False)
    lat = DecimalNumberField()
    lon = DecimalNumberField()
    address = serializers.CharField(required=False, allow_blank=True)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)
    urgency_criteria = serializers.ListField(child=serializers.CharField(), required=False)
    attributes = serializers.DictField(required=False)
    personal_data = serializers.BooleanField(
        required=False,
        default=False,
        help_text=gettext_lazy(
            "The description holds personal data: erased when the retention period of the closed "
            "request ends."
        ),
    )


# --- filters -------------------------------------------------------------------------------------


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
    reason = serializers.CharField(required=False, allow_blank=True, max_length=MAX_REASON)
    expected_revision = serializers.IntegerField(
        required=False, help_text=gettext_lazy("The request's `revision` as read: 409 if it changed since.")
    )


class AssignSerializer(serializers.Serializer):
    agent = serializers.CharField(help_text=gettext_lazy("The agent in charge: a username or a user id."))
    reason = serializers.CharField(required=False, allow_blank=True, max_length=MAX_REASON)


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
    reason = serializers.CharField(required=False, allow_blank=True, max_length=MAX_REASON)


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
    personal_data = serializers.BooleanField(
        required=False,
        default=False,
        help_text=gettext_lazy(
            "The comment holds personal data: erased when the retention period of the closed request ends."
        ),
    )


class PersonalDataMarkSerializer(serializers.ModelSerializer):
    class Meta:
        model = PersonalDataMark
        fields = ["id", "text", "object_id", "spans", "marked_at"]


class PersonalDataMarkInSerializer(serializers.Serializer):
    """A text of the request holding personal data: the whole text, or passages (``passages``: words
    copied from it, every occurrence marked; or ``spans``: [start, end] offsets)."""

    text = serializers.ChoiceField(choices=PersonalText.choices)
    object_id = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**63 - 1,
        help_text=gettext_lazy("The comment's or message's id."),
    )
    spans = serializers.ListField(
        child=serializers.ListField(
            child=serializers.IntegerField(min_value=0, max_value=10**6), min_length=2, max_length=2
        ),
        required=False,
        max_length=50,
    )
    passages = serializers.ListField(
        child=serializers.CharField(max_length=500), required=False, max_length=50
    )


class AttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attachment
        fields = ["id", "name", "size_bytes", "content_type", "description", "created_at"]


class AttachmentInSerializer(serializers.Serializer):
    file = serializers.FileField()
    description = serializers.CharField(required=False, allow_blank=True, max_length=500)


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

    def to_representation(self, alert):
        data = super().to_representation(alert)
        user = getattr(self.context.get("request"), "user", None)
        if user is None or not actions.may_read_decision_notes(user):
            data["note"] = ""  # the DVQ's decision note is internal to the services
        return data

    def get_request(self, alert) -> inline_serializer(
        "AlertRequest", fields={"id": serializers.IntegerField(), "reference": serializers.CharField()}
    ):
        request = alert.case.intervention_request
        return {"id": request.pk, "reference": request.reference}
