"""TFPB endpoints: axes, conventions, programmes (their actions, submission, yearly review, exports) and the
partners' reviews. Scoped by tfpb.scope (a landlord its own, a commune those it signed, the State those it
signed, the community all); out of scope is 404. Writes call tfpb.actions and directory.approvals.actions."""

from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from api.views_base import GenericApiViewSet, ReadOnlyViewSet
from directory.approvals import actions as approvals
from directory.approvals.scope import partner_reviews_visible_to
from directory.models import Layer, Organisation, PartnerReview, Perimeter
from tfpb import actions, exports, figures
from tfpb.models import Action, Axis, Convention, Indicator, Programme
from tfpb.scope import conventions_visible_to, programmes_visible_to

AMOUNT_HELP = "Euros as text: digits, optional spaces, a comma or a point before at most two decimals."


class AmountField(serializers.CharField):
    """An amount in euros as a string (French decimal comma accepted; parsed into a Decimal by the action).
    A JSON number with decimals is refused: it would have gone through a binary float."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 30)
        kwargs.setdefault("help_text", AMOUNT_HELP)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, float):
            raise serializers.ValidationError(
                _('Send the amount as text (e.g. "12500,50"), not as a binary number.')
            )
        return super().to_internal_value(data)


class AxisSerializer(serializers.ModelSerializer):
    class Meta:
        model = Axis
        fields = ["code", "name", "position", "is_active"]


class AxisViewSet(ReadOnlyViewSet):
    """The axes of the national framework (data)."""

    serializer_class = AxisSerializer
    lookup_field = "code"
    queryset = Axis.objects.order_by("position", "pk")


class ConventionSerializer(serializers.ModelSerializer):
    landlord = serializers.SlugRelatedField(slug_field="code", read_only=True)
    state = serializers.SlugRelatedField(slug_field="code", read_only=True)
    community = serializers.SlugRelatedField(slug_field="code", read_only=True)
    qpvs = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    communes = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Convention
        fields = [
            "id",
            "reference",
            "landlord",
            "start_year",
            "end_year",
            "qpvs",
            "communes",
            "state",
            "community",
            "signed_on",
            "dwellings",
            "expected_abatement_eur",
        ]


class ConventionInput(serializers.Serializer):
    reference = serializers.CharField(max_length=60)
    landlord = serializers.CharField(help_text="Organisation code.")
    start_year = serializers.IntegerField(min_value=2000, max_value=2100)
    end_year = serializers.IntegerField(min_value=2000, max_value=2100)
    qpvs = serializers.ListField(child=serializers.CharField(max_length=64), help_text="QPV perimeter codes.")
    communes = serializers.ListField(
        child=serializers.CharField(max_length=64), help_text="Organisation codes."
    )
    state = serializers.CharField(help_text="Organisation code of the State's services.")
    community = serializers.CharField(help_text="Organisation code of the community.")
    signed_on = serializers.DateField(required=False, allow_null=True)
    dwellings = serializers.IntegerField(min_value=0, max_value=10_000_000)
    expected_abatement_eur = AmountField()


def _organisation(code, field):
    found = Organisation.objects.filter(code=code).first()
    if found is None:
        raise serializers.ValidationError({field: [f"« {code} » : organisation inconnue."]})
    return found


class ConventionViewSet(
    mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericApiViewSet
):
    """Landlords' TFPB conventions."""

    serializer_class = ConventionSerializer
    filterset_fields = ["start_year", "end_year"]

    def get_queryset(self):
        return conventions_visible_to(self.request.user).prefetch_related("qpvs", "communes").order_by("pk")

    @extend_schema(request=ConventionInput, responses={201: ConventionSerializer})
    def create(self, request):
        data = ConventionInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        qpvs = list(Perimeter.objects.filter(layer=Layer.QPV, code__in=values["qpvs"]))
        if len(qpvs) != len(set(values["qpvs"])):
            raise serializers.ValidationError({"qpvs": ["Un des QPV est inconnu."]})
        convention = actions.do_create_convention(
            reference=values["reference"],
            landlord=_organisation(values["landlord"], "landlord"),
            start_year=values["start_year"],
            end_year=values["end_year"],
            qpvs=qpvs,
            communes=[_organisation(code, "communes") for code in values["communes"]],
            state=_organisation(values["state"], "state"),
            community=_organisation(values["community"], "community"),
            signed_on=values.get("signed_on"),
            dwellings=values["dwellings"],
            expected_abatement=values["expected_abatement_eur"],
            acting_user=request.user,
        )
        return Response(ConventionSerializer(convention).data, status=201)


class IndicatorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Indicator
        fields = ["id", "name", "unit", "target", "reached"]


class ActionSerializer(serializers.ModelSerializer):
    axis = serializers.SlugRelatedField(slug_field="code", read_only=True)
    indicators = IndicatorSerializer(many=True, read_only=True)

    class Meta:
        model = Action
        fields = [
            "id",
            "axis",
            "title",
            "description",
            "places",
            "location",
            "planned_amount_eur",
            "realised_amount_eur",
            "realisation_comment",
            "indicators",
        ]


class ProgrammeSerializer(serializers.ModelSerializer):
    landlord = serializers.CharField(source="convention.landlord.code", read_only=True)
    qpv = serializers.SlugRelatedField(slug_field="code", read_only=True)
    actions = ActionSerializer(many=True, read_only=True)
    planned_total_eur = serializers.SerializerMethodField()
    realised_total_eur = serializers.SerializerMethodField()
    covers_expected_abatement = serializers.SerializerMethodField()

    class Meta:
        model = Programme
        fields = [
            "id",
            "convention",
            "landlord",
            "year",
            "qpv",
            "expected_abatement_eur",
            "planned_total_eur",
            "realised_total_eur",
            "covers_expected_abatement",
            "status",
            "submitted_at",
            "validated_at",
            "review_status",
            "review_comment",
            "review_submitted_at",
            "review_validated_at",
            "actions",
        ]

    def _sums(self, obj):
        return figures.totals(obj)

    def get_planned_total_eur(self, obj) -> str:
        return str(self._sums(obj)["planned"])

    def get_realised_total_eur(self, obj) -> str:
        return str(self._sums(obj)["realised"])

    def get_covers_expected_abatement(self, obj) -> bool:
        return self._sums(obj)["planned"] >= obj.expected_abatement_eur


class ProgrammeInput(serializers.Serializer):
    convention = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    qpv = serializers.CharField(max_length=64, help_text="QPV perimeter code.")
    expected_abatement_eur = AmountField(required=False, allow_blank=True)


class IndicatorInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    unit = serializers.CharField(max_length=40, required=False, allow_blank=True)
    target = AmountField()


class ActionInput(serializers.Serializer):
    axis = serializers.CharField(max_length=40, help_text="Axis code.")
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    places = serializers.CharField(required=False, allow_blank=True, max_length=300)
    planned_amount_eur = AmountField()
    location = serializers.JSONField(
        required=False,
        allow_null=True,
        help_text='The place on the map: {"type": "Point", "coordinates": [lon, lat]}.',
    )
    indicators = IndicatorInput(many=True, required=False)


class ActionChangeInput(ActionInput):
    """An action's new values (its indicators stay as they are); no ``location`` removes its place."""

    indicators = None


class RealisationInput(serializers.Serializer):
    realised_amount_eur = AmountField()
    comment = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    indicators = serializers.DictField(
        child=AmountField(allow_blank=True),
        required=False,
        help_text="Indicator id -> value reached.",
    )


class YearReviewInput(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class ProgrammeFilter(filters.FilterSet):
    class Meta:
        model = Programme
        fields = ["year", "convention", "status", "review_status"]


class ProgrammeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericApiViewSet):
    """Yearly programmes (one per convention, year and QPV) with their actions and yearly review."""

    serializer_class = ProgrammeSerializer
    filterset_class = ProgrammeFilter

    def get_queryset(self):
        return figures.with_totals(
            programmes_visible_to(self.request.user).prefetch_related("actions__axis", "actions__indicators")
        ).order_by("-year", "pk")

    def _reload(self, programme):
        return Response(ProgrammeSerializer(self.get_queryset().get(pk=programme.pk)).data)

    @extend_schema(request=ProgrammeInput, responses={201: ProgrammeSerializer})
    def create(self, request):
        data = ProgrammeInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        convention = conventions_visible_to(request.user).filter(pk=values["convention"]).first()
        if convention is None:
            raise serializers.ValidationError({"convention": ["Convention inconnue."]})
        qpv = Perimeter.objects.filter(layer=Layer.QPV, code=values["qpv"]).first()
        programme = actions.do_create_programme(
            convention,
            year=values["year"],
            qpv=qpv,
            expected_abatement=values.get("expected_abatement_eur") or None,
            acting_user=request.user,
        )
        response = self._reload(programme)
        response.status_code = 201
        return response

    @extend_schema(request=ActionInput, responses={200: ProgrammeSerializer})
    @action(detail=True, methods=["post"], url_path="actions")
    def add_action(self, request, pk=None):
        programme = self.get_object()
        data = ActionInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        actions.do_add_programme_action(
            programme,
            axis=Axis.objects.filter(code=values["axis"]).first(),
            title=values["title"],
            description=values.get("description", ""),
            places=values.get("places", ""),
            planned_amount=values["planned_amount_eur"],
            location=values.get("location"),
            indicators=values.get("indicators", []),
            acting_user=request.user,
        )
        return self._reload(programme)

    @extend_schema(methods=["PUT"], request=ActionChangeInput, responses={200: ProgrammeSerializer})
    @extend_schema(methods=["DELETE"], request=None, responses={200: ProgrammeSerializer})
    @action(detail=True, methods=["put", "delete"], url_path=r"actions/(?P<action_id>\d+)")
    def change_action(self, request, pk=None, action_id=None):
        """Change (PUT) or remove (DELETE) an action while the programme is a draft or sent back."""
        programme = self.get_object()
        found = programme.actions.filter(pk=int(action_id)).first()
        if found is None:
            raise Http404
        if request.method == "DELETE":
            actions.do_remove_programme_action(found, acting_user=request.user)
            return self._reload(programme)
        data = ActionChangeInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        actions.do_change_programme_action(
            found,
            axis=Axis.objects.filter(code=values["axis"]).first(),
            title=values["title"],
            description=values.get("description", ""),
            places=values.get("places", ""),
            planned_amount=values["planned_amount_eur"],
            location=values.get("location"),
            acting_user=request.user,
        )
        return self._reload(programme)

    @extend_schema(request=None, responses={200: ProgrammeSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        programme = self.get_object()
        actions.do_submit_programme(programme, acting_user=request.user)
        return self._reload(programme)

    @extend_schema(request=RealisationInput, responses={200: ProgrammeSerializer})
    @action(detail=True, methods=["post"], url_path=r"actions/(?P<action_id>\d+)/realisation")
    def realisation(self, request, pk=None, action_id=None):
        programme = self.get_object()
        found = programme.actions.filter(pk=int(action_id)).first()
        if found is None:
            raise Http404
        data = RealisationInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        actions.do_record_realisation(
            found,
            realised_amount=values["realised_amount_eur"],
            comment=values.get("comment", ""),
            indicators_reached=values.get("indicators", {}),
            acting_user=request.user,
        )
        return self._reload(programme)

    @extend_schema(request=YearReviewInput, responses={200: ProgrammeSerializer})
    @action(detail=True, methods=["post"], url_path="submit-review")
    def submit_review(self, request, pk=None):
        programme = self.get_object()
        data = YearReviewInput(data=request.data)
        data.is_valid(raise_exception=True)
        actions.do_submit_year_review(
            programme, comment=data.validated_data.get("comment", ""), acting_user=request.user
        )
        return self._reload(programme)

    @extend_schema(responses={(200, exports.XLSX): OpenApiResponse(OpenApiTypes.BINARY)})
    @action(detail=True, methods=["get"], url_path="xlsx")
    def xlsx(self, request, pk=None):
        return _download(exports.programme_xlsx(self.get_object()), exports.XLSX, "programme.xlsx")

    @extend_schema(responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY)})
    @action(detail=True, methods=["get"], url_path="pdf")
    def pdf(self, request, pk=None):
        return _download(
            exports.programme_pdf(self.get_object(), request), "application/pdf", "programme.pdf"
        )


def _download(content, content_type, name):
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


class PartnerReviewSerializer(serializers.ModelSerializer):
    organisation = serializers.SlugRelatedField(slug_field="code", read_only=True)
    programme = serializers.IntegerField(source="subject_id", read_only=True)
    stage = serializers.SerializerMethodField()

    class Meta:
        model = PartnerReview
        fields = [
            "id",
            "organisation",
            "programme",
            "stage",
            "status",
            "comment",
            "answered_at",
            "created_at",
        ]

    def get_stage(self, obj) -> str:
        return figures.stage_of(obj)


class AnswerInput(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class PartnerReviewViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericApiViewSet):
    """The partners' reviews of TFPB programmes and yearly reviews: those of the caller's organisation."""

    serializer_class = PartnerReviewSerializer
    filterset_fields = ["status"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema needs the model, not the content types
            return PartnerReview.objects.none()
        return figures.tfpb_reviews(partner_reviews_visible_to(self.request.user)).order_by("-pk")

    @extend_schema(request=AnswerInput, responses={200: PartnerReviewSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        review = self.get_object()
        data = AnswerInput(data=request.data)
        data.is_valid(raise_exception=True)
        review = approvals.do_approve_partner_review(
            review, acting_user=request.user, comment=data.validated_data.get("comment", "")
        )
        return Response(PartnerReviewSerializer(self.get_queryset().get(pk=review.pk)).data)

    @extend_schema(request=AnswerInput, responses={200: PartnerReviewSerializer})
    @action(detail=True, methods=["post"], url_path="request-changes")
    def request_changes(self, request, pk=None):
        review = self.get_object()
        data = AnswerInput(data=request.data)
        data.is_valid(raise_exception=True)
        review = approvals.do_request_changes_partner_review(
            review, acting_user=request.user, comment=data.validated_data.get("comment", "")
        )
        return Response(PartnerReviewSerializer(self.get_queryset().get(pk=review.pk)).data)
