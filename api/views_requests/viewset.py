"""The request endpoints: file, read, list, history, comments, attachments, transitions, shares, fines."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts import actions as account_actions
from accounts.models import PersonalDataMark
from api.parsers import FormParser, JSONParser, MultiPartParser
from api.scope import visible_request_or_404, visible_requests
from api.views_base import GenericApiViewSet
from api.views_requests.filters import RequestFilter
from api.views_requests.fines import FinesMixin
from api.views_requests.serializers import (
    AlertSerializer,
    AssignSerializer,
    AttachmentInSerializer,
    AttachmentSerializer,
    CommentInSerializer,
    CommentSerializer,
    FileRequestSerializer,
    FireSerializer,
    HistorySerializer,
    PersonalDataMarkInSerializer,
    PersonalDataMarkSerializer,
    RequestDetailSerializer,
    RequestSummarySerializer,
    ShareInSerializer,
    ShareSerializer,
    TransitionSerializer,
    share_data,
    transition_data,
)
from engine.attachments import attachment_response
from engine.models import Alert, Attachment, AuditEntry, Comment
from engine.queries import available_transitions
from procedures import actions
from procedures.duplicates import duplicate_candidates
from procedures.models import Category, InterventionRequest, Urgency

MAX_NEAR_RADIUS_M = 20000


def _summary_queryset(queryset):
    return queryset.select_related(
        "case", "category", "commune", "handler_unit__organisation", "handler_organisation"
    )


class RequestViewSet(FinesMixin, GenericApiViewSet):
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
        filed = account_actions.do_file_request_marking(
            acting_user=request.user,
            personal_data=values.get("personal_data", False),
            category=values["category"],
            description=values["description"],
            lon=values["lon"],
            lat=values["lat"],
            address=values.get("address", ""),
            urgency=values.get("urgency", Urgency.NORMAL),
            urgency_criteria=values.get("urgency_criteria", []),
            attributes=values.get("attributes") or {},
        )
        # The 201 from the objects in hand (the case, the routing decision, the role holders, the messages,
        # criteria and deadlines just written), not a re-read of the request and a second routing.
        _known_related(filed, "messages", filed.filed_messages)
        _known_related(filed, "urgency_criteria", filed.filed_criteria)
        context = {
            **self.get_serializer_context(),
            "holders": {filed.case_id: filed.case.opened_role_holders},
            "deadlines": {filed.case_id: filed.case.opened_deadlines},
        }
        return Response(RequestDetailSerializer(filed, context=context).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: HistorySerializer(many=True)})
    @action(detail=True)
    def history(self, request, pk=None):
        obj = self.get_request()
        entries = AuditEntry.objects.filter(case_id=obj.case_id).select_related(
            "actor__unit", "actor__organisation"
        )
        page = self.paginate_queryset(entries.order_by("at", "pk"))
        return self.get_paginated_response(HistorySerializer(page, many=True).data)

    @extend_schema(methods=["GET"], responses={200: CommentSerializer(many=True)})
    @extend_schema(methods=["POST"], request=CommentInSerializer, responses={201: CommentSerializer})
    @action(detail=True, methods=["get", "post"])
    def comments(self, request, pk=None):
        """Comments on the request. Internal ones are read and written only by those
        procedures.actions.may_read_internal_comments accepts (the services handling it, the DVQ,
        administrators); the requester side asking for `internal: true` gets 403, nothing stored."""
        obj = self.get_request()
        if request.method == "POST":
            data = CommentInSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            comment = account_actions.do_comment_request_marking(
                obj,
                acting_user=request.user,
                body=data.validated_data["body"],
                internal=data.validated_data["internal"],
                personal_data=data.validated_data["personal_data"],
            )
            return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)
        comments = Comment.objects.filter(case_id=obj.case_id).select_related(
            "author__unit", "author__organisation"
        )
        comments = actions.comments_for(obj, request.user, comments)
        page = self.paginate_queryset(comments.order_by("created_at", "pk"))
        return self.get_paginated_response(CommentSerializer(page, many=True).data)

    @extend_schema(methods=["GET"], responses={200: PersonalDataMarkSerializer(many=True)})
    @extend_schema(
        methods=["POST"], request=PersonalDataMarkInSerializer, responses={201: PersonalDataMarkSerializer}
    )
    @action(
        detail=True, methods=["get", "post"], url_path="personal-data-marks", url_name="personal-data-marks"
    )
    def personal_data_marks(self, request, pk=None):
        """The request's texts marked as holding personal data (accounts.actions.do_mark_personal_data):
        the retention job erases them once the closed request's period ends. Anyone who reads a text may
        mark it; marks on internal comments are listed only to those who read them."""
        obj = self.get_request()
        if request.method == "POST":
            data = PersonalDataMarkInSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            values = data.validated_data
            mark = account_actions.do_mark_personal_data(
                obj,
                values["text"],
                object_id=values.get("object_id"),
                spans=values.get("spans"),
                passages=values.get("passages"),
                acting_user=request.user,
            )
            return Response(PersonalDataMarkSerializer(mark).data, status=status.HTTP_201_CREATED)
        marks = PersonalDataMark.objects.filter(request=obj)
        if not actions.may_read_internal_comments(obj, request.user):
            internal = Comment.objects.filter(case_id=obj.case_id, internal=True).values("pk")
            marks = marks.exclude(text="comment", object_id__in=internal)
        page = self.paginate_queryset(marks.order_by("pk"))
        return self.get_paginated_response(PersonalDataMarkSerializer(page, many=True).data)

    @extend_schema(request=None, responses={204: None})
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"personal-data-marks/(?P<mark_id>\d+)",
        url_name="personal-data-mark",
    )
    def personal_data_unmark(self, request, pk=None, mark_id=None):
        """Take a mark back: whoever set it, or an administrator (403 otherwise)."""
        obj = self.get_request()
        mark = PersonalDataMark.objects.filter(request=obj, pk=int(mark_id)).first()
        if mark is None:
            raise exceptions.NotFound()
        account_actions.do_unmark_personal_data(
            obj, mark.text, object_id=mark.object_id, acting_user=request.user
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(methods=["GET"], responses={200: AttachmentSerializer(many=True)})
    @extend_schema(methods=["POST"], request=AttachmentInSerializer, responses={201: AttachmentSerializer})
    @action(detail=True, methods=["get", "post"])
    def attachments(self, request, pk=None):
        obj = self.get_request()
        if request.method == "POST":
            data = AttachmentInSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            # the action checks the file (type from its content, a name that agrees, the size limit)
            attachment = actions.do_attach_to_request(
                obj,
                acting_user=request.user,
                file=data.validated_data["file"],
                description=data.validated_data.get("description", ""),
            )
            return Response(AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)
        rows = Attachment.objects.filter(case_id=obj.case_id).order_by("created_at", "pk")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(AttachmentSerializer(page, many=True).data)

    @extend_schema(
        responses={
            (200, "image/*"): OpenApiTypes.BINARY,
            (200, "application/pdf"): OpenApiTypes.BINARY,
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
        }
    )
    @action(detail=True, url_path=r"attachments/(?P<attachment_id>\d+)", url_name="attachment-file")
    def attachment_file(self, request, pk=None, attachment_id=None):
        """The file, with the type recognised from its content at upload and `nosniff`: images inline,
        anything else as a download (`Content-Disposition: attachment`)."""
        obj = self.get_request()
        attachment = Attachment.objects.filter(case_id=obj.case_id, pk=attachment_id).first()
        if attachment is None:
            raise exceptions.NotFound(_("No such attachment on this request."))
        return attachment_response(attachment)

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
        data = AlertSerializer(alert, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)

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
        return actions.request_shared_with(obj).select_related("organisation")

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
        actions.check_may_see_request_shares(obj, request.user)
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


def _known_related(instance, name, objects):
    """Fill the prefetch cache of ``instance.<name>`` with ``objects``, as prefetch_related does."""
    rows = getattr(instance, name).all()
    rows._result_cache, rows._prefetch_done = list(objects), True
    instance.__dict__.setdefault("_prefetched_objects_cache", {})[name] = rows
