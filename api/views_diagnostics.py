"""Walking diagnostics: grid versions (read), diagnostics (prepare, change, move on), their findings (the
phone's sync posts each finding with its client identifier: the same one again answers 200 with the
finding already kept) and their conversion. Scoped by diagnostics.scope (out of scope: 404); every write
calls diagnostics.actions."""

from django.http import Http404
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from api.parsers import FormParser, JSONParser, MultiPartParser
from api.views_base import GenericApiViewSet, ReadOnlyViewSet
from api.views_requests.serializers import DecimalNumberField
from diagnostics import actions
from diagnostics.models import Diagnostic, Finding, FindingPhoto, RouteTrack
from diagnostics.scope import diagnostics_visible_to, findings_visible_to, grid_versions_visible_to
from engine.attachments import attachment_response

# --- grids ----------------------------------------------------------------------------------------


class GridItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    label = serializers.CharField()
    label_en = serializers.CharField()
    category = serializers.CharField(source="category.code", allow_null=True, default=None)


class GridThemeSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    label_en = serializers.CharField()
    items = GridItemSerializer(many=True, source="items.all")


class ScaleLevelSerializer(serializers.Serializer):
    value = serializers.IntegerField()
    label = serializers.CharField()
    label_en = serializers.CharField()


class GridVersionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    grid = serializers.CharField(source="grid.code")
    name = serializers.CharField(source="grid.name")
    number = serializers.IntegerField()
    status = serializers.CharField()
    published_at = serializers.DateTimeField(allow_null=True)
    scale = ScaleLevelSerializer(many=True)
    themes = GridThemeSerializer(many=True, source="themes.all")


class GridVersionViewSet(ReadOnlyViewSet):
    """Observation grid versions: published and retired ones (drafts for administrators)."""

    serializer_class = GridVersionSerializer

    def get_queryset(self):
        return (
            grid_versions_visible_to(self.request.user)
            .select_related("grid")
            .prefetch_related("themes__items__category")
            .order_by("grid__code", "-number")
        )


# --- diagnostics -------------------------------------------------------------------------------------


class DiagnosticSerializer(serializers.ModelSerializer):
    commune = serializers.CharField(source="commune.code")
    qpv = serializers.CharField(source="qpv.code", allow_null=True, default=None)
    participants = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    findings_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Diagnostic
        fields = [
            "id",
            "title",
            "commune",
            "qpv",
            "date",
            "status",
            "grid_version",
            "route",
            "route_length_m",
            "residents_count",
            "participants",
            "findings_count",
            "created_at",
        ]


class DiagnosticInSerializer(serializers.Serializer):
    """What preparing a diagnostic takes; the rules are the action's (do_create_diagnostic)."""

    title = serializers.CharField(allow_blank=True)
    commune = serializers.CharField(help_text=gettext_lazy("Commune code."))
    date = serializers.CharField(help_text=gettext_lazy("YYYY-MM-DD"))
    grid_version = serializers.IntegerField()
    qpv = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    route = serializers.JSONField(
        required=False, allow_null=True, help_text=gettext_lazy("GeoJSON LineString")
    )
    residents_count = serializers.IntegerField(required=False, default=0)
    participants = serializers.ListField(child=serializers.CharField(), required=False, default=list)


class DiagnosticChangeSerializer(serializers.Serializer):
    title = serializers.CharField(required=False, allow_blank=True)
    date = serializers.CharField(required=False)
    qpv = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    route = serializers.JSONField(required=False, allow_null=True)
    residents_count = serializers.IntegerField(required=False)
    participants = serializers.ListField(child=serializers.CharField(), required=False)


class MoveSerializer(serializers.Serializer):
    transition = serializers.ChoiceField(choices=sorted(actions.diagnostics.TRANSITIONS))


class PhotoSerializer(serializers.ModelSerializer):
    class Meta:
        model = FindingPhoto
        fields = ["id", "name", "content_type", "size_bytes"]


class FindingSerializer(serializers.ModelSerializer):
    theme = serializers.CharField(source="item.theme.code")
    item_code = serializers.CharField(source="item.code")
    recorded_by = serializers.CharField(source="recorded_by.username")
    request = serializers.CharField(source="request.reference", allow_null=True, default=None)
    photos = PhotoSerializer(many=True)

    class Meta:
        model = Finding
        fields = [
            "id",
            "client_id",
            "item",
            "theme",
            "item_code",
            "rating",
            "comment",
            "lon",
            "lat",
            "observed_at",
            "received_at",
            "recorded_by",
            "photos",
            "outcome",
            "outcome_reason",
            "outcome_reference",
            "request",
            "converted_at",
        ]


class FindingInSerializer(serializers.Serializer):
    """One finding from the phone; ``client_id`` makes a repeat harmless (kept once)."""

    client_id = serializers.CharField(allow_blank=True)
    item = serializers.CharField(help_text=gettext_lazy("Item id, or theme/item codes."))
    rating = serializers.CharField()
    lon = DecimalNumberField()
    lat = DecimalNumberField()
    comment = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    observed_at = serializers.CharField(required=False, allow_blank=True)
    photos = serializers.ListField(child=serializers.FileField(), required=False)


class RouteTrackSerializer(serializers.ModelSerializer):
    recorded_by = serializers.CharField(source="recorded_by.username")

    class Meta:
        model = RouteTrack
        fields = [
            "id",
            "client_id",
            "line",
            "points_count",
            "length_m",
            "started_at",
            "ended_at",
            "received_at",
            "recorded_by",
        ]


class RouteTrackInSerializer(serializers.Serializer):
    """A route recorded by the phone's GPS; ``client_id`` makes a repeat harmless (kept once)."""

    client_id = serializers.CharField(allow_blank=True)
    points = serializers.JSONField(help_text=gettext_lazy("[[longitude, latitude], ...] in WGS84."))
    started_at = serializers.CharField(required=False, allow_blank=True)
    ended_at = serializers.CharField(required=False, allow_blank=True)


class ConvertSerializer(serializers.Serializer):
    findings = serializers.ListField(child=serializers.IntegerField(), allow_empty=True)
    outcome = serializers.ChoiceField(choices=["request", "no_action", "action", "recommendation"])
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=gettext_lazy("Why no action; or why requests are filed anyway (file_anyway)."),
    )
    file_anyway = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        default=list,
        help_text=gettext_lazy(
            "Outcome request: findings to file as new requests although an open request is nearby "
            "(with a reason); the others are linked to it."
        ),
    )
    # one follow-up action for the whole set (outcome "action")
    title = serializers.CharField(required=False, allow_blank=True)
    owner_organisation = serializers.IntegerField(required=False, allow_null=True)
    owner_person = serializers.IntegerField(required=False, allow_null=True)
    due_date = serializers.DateField(required=False, allow_null=True)
    description = serializers.CharField(required=False, allow_blank=True)
    # one recommendation for the whole set (outcome "recommendation")
    project = serializers.CharField(required=False, allow_blank=True)
    qpv = serializers.IntegerField(
        required=False, allow_null=True, help_text=gettext_lazy("Default: the diagnostic's QPV.")
    )
    issue = serializers.CharField(required=False, allow_blank=True)
    recommendation = serializers.CharField(required=False, allow_blank=True)


FOLLOW_UP_OPTIONS = {
    "action": ("title", "owner_organisation", "owner_person", "due_date", "description"),
    "recommendation": ("project", "qpv", "issue", "recommendation"),
}


class ConversionResultSerializer(serializers.Serializer):
    finding = serializers.IntegerField()
    outcome = serializers.CharField(
        help_text=gettext_lazy("What was done; already: converted before, left as is.")
    )
    request = serializers.CharField(allow_null=True)
    reference = serializers.CharField(
        allow_blank=True, help_text=gettext_lazy("The action's or recommendation's reference.")
    )


def _findings(queryset):
    return queryset.select_related("item__theme", "recorded_by", "request").prefetch_related("photos")


class DiagnosticViewSet(GenericApiViewSet):
    """Walking diagnostics of the caller's commune or in which their organisation takes part."""

    serializer_class = DiagnosticSerializer
    parser_classes = [JSONParser, FormParser, MultiPartParser]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        from django.db.models import Count

        return (
            diagnostics_visible_to(self.request.user)
            .select_related("commune", "qpv")
            .prefetch_related("participants")
            .annotate(findings_count=Count("findings"))
            .order_by("-date", "-pk")
        )

    def get_diagnostic(self):
        pk = self.kwargs.get("pk")
        found = self.get_queryset().filter(pk=pk).first() if str(pk).isdigit() else None
        if found is None:
            raise Http404
        return found

    def _out(self, diagnostic, code=status.HTTP_200_OK):
        self.kwargs["pk"] = diagnostic.pk
        return Response(DiagnosticSerializer(self.get_diagnostic()).data, status=code)

    @extend_schema(responses={200: DiagnosticSerializer(many=True)})
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(DiagnosticSerializer(page, many=True).data)

    @extend_schema(responses={200: DiagnosticSerializer})
    def retrieve(self, request, pk=None):
        return Response(DiagnosticSerializer(self.get_diagnostic()).data)

    @extend_schema(request=DiagnosticInSerializer, responses={201: DiagnosticSerializer})
    def create(self, request):
        data = DiagnosticInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        diagnostic = actions.do_create_diagnostic(acting_user=request.user, **values)
        return self._out(diagnostic, status.HTTP_201_CREATED)

    @extend_schema(request=DiagnosticChangeSerializer, responses={200: DiagnosticSerializer})
    def partial_update(self, request, pk=None):
        diagnostic = self.get_diagnostic()
        data = DiagnosticChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        diagnostic = actions.do_change_diagnostic(diagnostic, acting_user=request.user, **data.validated_data)
        return self._out(diagnostic)

    @extend_schema(request=MoveSerializer, responses={200: DiagnosticSerializer})
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Move on: start_field (prepared to in the field), start_analysis, close."""
        diagnostic = self.get_diagnostic()
        data = MoveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        diagnostic = actions.do_move_diagnostic(
            diagnostic, data.validated_data["transition"], acting_user=request.user
        )
        return self._out(diagnostic)

    @extend_schema(methods=["GET"], responses={200: FindingSerializer(many=True)})
    @extend_schema(
        methods=["POST"],
        request={"multipart/form-data": FindingInSerializer, "application/json": FindingInSerializer},
        responses={201: FindingSerializer, 200: FindingSerializer},
    )
    @action(detail=True, methods=["get", "post"])
    def findings(self, request, pk=None):
        """The findings; POST records one (201), or answers 200 with the one already kept under the
        same ``client_id`` (nothing recorded twice)."""
        diagnostic = self.get_diagnostic()
        if request.method == "POST":
            data = FindingInSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            values = dict(data.validated_data)
            photos = request.FILES.getlist("photos") if hasattr(request, "FILES") else []
            values["photos"] = photos or values.get("photos", [])
            finding, created = actions.do_record_finding(diagnostic, acting_user=request.user, **values)
            finding = _findings(Finding.objects.filter(pk=finding.pk)).get()
            code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
            return Response(FindingSerializer(finding).data, status=code)
        rows = _findings(Finding.objects.filter(diagnostic=diagnostic)).order_by("observed_at", "pk")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(FindingSerializer(page, many=True).data)

    @extend_schema(methods=["GET"], responses={200: RouteTrackSerializer(many=True)})
    @extend_schema(
        methods=["POST"],
        request=RouteTrackInSerializer,
        responses={201: RouteTrackSerializer, 200: RouteTrackSerializer},
    )
    @action(detail=True, methods=["get", "post"], url_path="route-tracks", url_name="route-tracks")
    def route_tracks(self, request, pk=None):
        """The routes recorded by phones; POST keeps one and makes it the diagnostic's route (201), or
        answers 200 with the one already kept under the same ``client_id`` (nothing recorded twice)."""
        diagnostic = self.get_diagnostic()
        if request.method == "POST":
            data = RouteTrackInSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            track, created = actions.do_record_route_track(
                diagnostic, acting_user=request.user, **data.validated_data
            )
            track = RouteTrack.objects.select_related("recorded_by").get(pk=track.pk)
            code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
            return Response(RouteTrackSerializer(track).data, status=code)
        rows = RouteTrack.objects.filter(diagnostic=diagnostic).select_related("recorded_by")
        page = self.paginate_queryset(rows.order_by("received_at", "pk"))
        return self.get_paginated_response(RouteTrackSerializer(page, many=True).data)

    @extend_schema(request=ConvertSerializer, responses={200: ConversionResultSerializer(many=True)})
    @action(detail=True, methods=["post"])
    def convert(self, request, pk=None):
        """Findings into intervention requests (filed by the commune; an open request nearby is linked
        instead), no action (with a reason); or the whole set into ONE follow-up action (title, owner
        organisation and person, due date) or ONE recommendation (project or QPV, issue, text). Already
        converted: left as is (``already``) for requests and no action, refused for the follow-up."""
        diagnostic = self.get_diagnostic()
        data = ConvertSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        outcome, ids = values["outcome"], values["findings"]
        if outcome == "request":
            results = actions.do_convert_findings_to_requests(
                diagnostic,
                ids,
                acting_user=request.user,
                file_anyway=values.get("file_anyway", []),
                reason=values.get("reason", ""),
            )
        elif outcome == "no_action":
            results = actions.do_mark_findings_no_action(
                diagnostic, ids, values.get("reason", ""), acting_user=request.user
            )
        else:
            options = {k: values[k] for k in FOLLOW_UP_OPTIONS[outcome] if k in values}
            results = actions.do_convert_findings_to_follow_up(
                diagnostic, ids, outcome, acting_user=request.user, **options
            )
        body = []
        for finding, result in results:
            finding.refresh_from_db(fields=["request", "outcome_reference"])
            body.append(
                {
                    "finding": finding.pk,
                    "outcome": result,
                    "request": finding.request.reference if finding.request else None,
                    "reference": finding.outcome_reference,
                }
            )
        return Response(body)

    @extend_schema(responses={(200, "image/*"): OpenApiTypes.BINARY})
    @action(
        detail=True,
        url_path=r"findings/(?P<finding_id>\d+)/photos/(?P<photo_id>\d+)",
        url_name="finding-photo",
    )
    def finding_photo(self, request, pk=None, finding_id=None, photo_id=None):
        """A finding's photo (type checked from its content at upload, nosniff)."""
        diagnostic = self.get_diagnostic()
        photo = FindingPhoto.objects.filter(
            pk=photo_id,
            finding_id=finding_id,
            finding__in=findings_visible_to(request.user).filter(diagnostic=diagnostic),
        ).first()
        if photo is None:
            raise exceptions.NotFound()
        return attachment_response(photo)
