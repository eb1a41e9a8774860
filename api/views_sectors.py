"""Sub-sector procedures in the API: the procedures (perimeter as GeoJSON), their versions and content,
the partners' approvals (approve / request changes) and the yearly evaluations. Everything is read through
`procedures.sectors.scope` (out of scope: 404) and written through the actions of `procedures.sectors`
(refusals: 403, bad input: 400 naming the field)."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from api.views_base import GenericApiViewSet
from directory.models import Organisation, Perimeter, Unit, User
from engine.models import ProcedureVersion, VersionStatus
from procedures.models import Category, CategoryGroup
from procedures.scope import requests_visible_to
from procedures.sectors import actions, approvals, evaluations, figures, means
from procedures.sectors.models import SectorVersion
from procedures.sectors.scope import (
    sector_approvals_visible_to,
    sector_evaluations_visible_to,
    sector_procedures_visible_to,
)


# --- output -----------------------------------------------------------------------------------------
def _feature(obj, **properties):
    return {"type": "Feature", "geometry": obj.geometry or None, "properties": properties}


class SectorApprovalSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    procedure = serializers.CharField(source="version.procedure.code")
    version = serializers.IntegerField(source="version.number")
    partner = serializers.CharField(source="partner.organisation.code")
    partner_name = serializers.CharField(source="partner.organisation.name")
    referent = serializers.CharField(source="partner.referent.username")
    round = serializers.IntegerField()
    state = serializers.CharField()
    comment = serializers.CharField()
    opened_at = serializers.DateTimeField()
    remind_at = serializers.DateTimeField(allow_null=True)
    reminded_at = serializers.DateTimeField(allow_null=True)
    answered_at = serializers.DateTimeField(allow_null=True)


class SectorVersionSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    status = serializers.CharField()
    description = serializers.CharField()
    goals = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(allow_null=True)
    effective_from = serializers.DateField()
    evaluation_month = serializers.IntegerField()
    perimeter = serializers.SerializerMethodField(help_text="GeoJSON Feature (WGS84) with its land shares.")
    zones = serializers.SerializerMethodField(help_text="GeoJSON FeatureCollection of the zones.")
    partners = serializers.SerializerMethodField()
    split = serializers.SerializerMethodField()
    coverage = serializers.SerializerMethodField()
    pooled_means = serializers.SerializerMethodField()
    overrides = serializers.SerializerMethodField()
    intervention_procedure = serializers.SerializerMethodField()
    approvals = SectorApprovalSerializer(many=True)

    def get_perimeter(self, version) -> dict:
        return _feature(
            version,
            source=version.perimeter_source,
            area_m2=version.area_m2,
            land_area_m2=version.land_area_m2,
            land_shares=version.land_shares,
            delegated_manager=version.delegated_manager.code if version.delegated_manager_id else None,
        )

    def get_zones(self, version) -> dict:
        return {
            "type": "FeatureCollection",
            "features": [_feature(z, id=z.pk, name=z.name, area_m2=z.area_m2) for z in version.zones.all()],
        }

    def get_partners(self, version) -> list[dict]:
        return [
            {
                "organisation": p.organisation.code,
                "name": p.organisation.name,
                "referent": p.referent.username,
                "role": p.role,
            }
            for p in version.partners.all()
        ]

    def get_split(self, version) -> list[dict]:
        return [
            {
                "id": row.pk,
                "category": row.category.code if row.category_id else None,
                "category_group": row.category_group.code if row.category_group_id else None,
                "zone": row.zone.name if row.zone_id else None,
                "season": [row.season_start, row.season_end] if row.season_start else None,
                "unit": row.unit.code,
                "unit_name": row.unit.name,
                "what": row.what,
            }
            for row in version.split_rows.all()
        ]

    def get_coverage(self, version) -> list[dict]:
        return [
            {
                "category": item["category"].code,
                "status": item["status"],
                "rows": [row.pk for row in item["rows"]],
                "elsewhere": item["elsewhere"],
            }
            for item in figures.coverage(version)
        ]

    def get_pooled_means(self, version) -> list[dict]:
        out = []
        for item in version.pooled_means.all():
            used = figures.consumption(item)
            out.append(
                {
                    "organisation": item.organisation.code,
                    "unit": item.unit.code,
                    "capacity": str(item.yearly_capacity),
                    "capacity_unit": item.capacity_unit,
                    "categories": [c.code for c in item.categories.all()],
                    "funding": {f.organisation.code: str(f.share_pct) for f in item.funding.all()},
                    "used": str(used["used"]),
                    "used_pct": str(used["pct"]),
                    "warning": used["warning"],
                }
            )
        return out

    def get_overrides(self, version) -> list[dict]:
        return [
            {
                "category": o.category.code if o.category_id else None,
                "urgency": o.urgency,
                "acknowledge_hours": o.acknowledge_hours,
                "resolve_hours": o.resolve_hours,
            }
            for o in version.overrides.all()
        ]

    def get_intervention_procedure(self, version) -> dict | None:
        v = version.intervention_version
        return {"code": v.procedure.code, "number": v.number} if v else None


class SectorProcedureListSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    status = serializers.SerializerMethodField()
    partners = serializers.SerializerMethodField()

    def _latest(self, procedure):
        versions = list(procedure.versions.all())
        return versions[-1] if versions else None

    def get_status(self, procedure) -> str:
        latest = self._latest(procedure)
        return latest.status if latest else ""

    def get_partners(self, procedure) -> list[str]:
        latest = self._latest(procedure)
        return [p.organisation.code for p in latest.partners.all()] if latest else []


class SectorEvaluationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    procedure = serializers.CharField(source="procedure.code")
    version = serializers.IntegerField(source="version.number")
    year = serializers.IntegerField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    figures = serializers.JSONField()
    opinions = serializers.SerializerMethodField()
    decision = serializers.CharField()
    note = serializers.CharField()
    decided_at = serializers.DateTimeField(allow_null=True)
    new_version = serializers.SerializerMethodField()

    def get_opinions(self, evaluation) -> list[dict]:
        return [
            {"partner": o.partner.organisation.code, "text": o.text, "given_at": o.given_at}
            for o in evaluation.opinions.all()
        ]

    def get_new_version(self, evaluation) -> int | None:
        return evaluation.new_version.number if evaluation.new_version_id else None


class SectorProcedureDetailSerializer(SectorProcedureListSerializer):
    versions = SectorVersionSerializer(many=True)
    evaluations = SectorEvaluationSerializer(many=True)


# --- input ------------------------------------------------------------------------------------------
class SectorPartnerInput(serializers.Serializer):
    organisation = serializers.SlugField()
    referent = serializers.CharField(help_text="Username of the partner's referent.")
    role = serializers.CharField(required=False, allow_blank=True, default="")


class SectorProcedureInput(serializers.Serializer):
    code = serializers.SlugField(max_length=64)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    goals = serializers.CharField(required=False, allow_blank=True, default="")
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(required=False, allow_null=True, default=None)
    evaluation_month = serializers.IntegerField()
    partners = SectorPartnerInput(many=True)
    intervention_procedure = serializers.SlugField(required=False, help_text="Procedure code.")
    intervention_version = serializers.IntegerField(required=False, help_text="Its version number.")


class SectorPerimeterInput(serializers.Serializer):
    geometry = serializers.JSONField(
        required=False, help_text="GeoJSON polygon, Feature or FeatureCollection."
    )
    subsectors = serializers.ListField(child=serializers.CharField(), required=False, help_text="Codes.")
    parcels = serializers.ListField(child=serializers.CharField(), required=False, help_text="References.")
    owner = serializers.SlugField(required=False, help_text="Code of the landlord owning the parcels.")


class SectorZoneInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    geometry = serializers.JSONField()


class SectorSplitInput(serializers.Serializer):
    category = serializers.SlugField(required=False)
    category_group = serializers.SlugField(required=False)
    zone = serializers.CharField(required=False, help_text="Name of a zone of the version.")
    season_start = serializers.CharField(required=False, allow_blank=True, default="")
    season_end = serializers.CharField(required=False, allow_blank=True, default="")
    unit = serializers.SlugField()
    what = serializers.CharField(required=False, allow_blank=True, default="")


class SectorMeansInput(serializers.Serializer):
    organisation = serializers.SlugField()
    unit = serializers.SlugField()
    yearly_capacity = serializers.CharField(help_text="Decimal; a comma is accepted.")
    capacity_unit = serializers.ChoiceField(choices=["hours", "interventions"], default="hours")
    categories = serializers.ListField(child=serializers.SlugField(), required=False, default=list)
    funding = serializers.DictField(child=serializers.CharField(), help_text="Organisation code -> percent.")


class SectorOverrideInput(serializers.Serializer):
    category = serializers.SlugField(required=False)
    urgency = serializers.CharField(required=False, allow_blank=True, default="")
    acknowledge_hours = serializers.IntegerField()
    resolve_hours = serializers.IntegerField()


class SectorNewVersionInput(serializers.Serializer):
    effective_from = serializers.DateField()
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class SectorCommentInput(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class SectorOpinionInput(serializers.Serializer):
    text = serializers.CharField()


class SectorDecisionInput(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["continue", "adjust", "end", "generalise"])
    note = serializers.CharField(required=False, allow_blank=True, default="")
    effective_from = serializers.DateField(required=False, allow_null=True, default=None)


class SectorTimeSpentInput(serializers.Serializer):
    hours = serializers.CharField(help_text="Decimal; a comma is accepted.")


def _get(model, field, value, name, **lookup):
    manager = getattr(model, "objects", model)  # a model or a related manager
    found = manager.filter(**{field: value}, **lookup).first() if value else None
    if value and found is None:
        raise exceptions.ValidationError({name: [_("Unknown: %(value)s.") % {"value": value}]})
    return found


def _valid(serializer_class, request):
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return data.validated_data


VERSION_PREFETCH = (
    "partners__organisation",
    "partners__referent",
    "zones",
    "split_rows__unit",
    "split_rows__zone",
    "split_rows__category",
    "split_rows__category_group",
    "pooled_means__organisation",
    "pooled_means__unit",
    "pooled_means__categories",
    "pooled_means__funding__organisation",
    "overrides__category",
    "approvals__partner__organisation",
    "approvals__partner__referent",
    "approvals__version__procedure",
)


class SectorProcedureViewSet(GenericApiViewSet):
    permission_classes = [permissions.IsAuthenticated]
    serializer_class = SectorProcedureDetailSerializer
    lookup_field = "code"

    def get_queryset(self):
        return sector_procedures_visible_to(self.request.user).order_by("code")

    def _procedure(self, code):
        procedure = self.get_queryset().filter(code=code).first()
        if procedure is None:
            raise exceptions.NotFound()
        return procedure

    def _version(self, code, number):
        version = SectorVersion.objects.filter(procedure=self._procedure(code), number=number).first()
        if version is None:
            raise exceptions.NotFound()
        return version

    def _detail(self, code, status_code=status.HTTP_200_OK):
        procedure = (
            self.get_queryset()
            .filter(code=code)
            .prefetch_related(
                *(f"versions__{path}" for path in VERSION_PREFETCH),
                "versions__delegated_manager",
                "versions__intervention_version__procedure",
                "evaluations__opinions__partner__organisation",
                "evaluations__version",
                "evaluations__new_version",
            )
            .first()
        )
        if procedure is None:
            raise exceptions.NotFound()
        return Response(SectorProcedureDetailSerializer(procedure).data, status=status_code)

    @extend_schema(responses={200: SectorProcedureListSerializer(many=True)})
    def list(self, request):
        queryset = self.get_queryset().prefetch_related("versions__partners__organisation")
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(SectorProcedureListSerializer(page, many=True).data)

    @extend_schema(responses={200: SectorProcedureDetailSerializer})
    def retrieve(self, request, code=None):
        return self._detail(code)

    @extend_schema(request=SectorProcedureInput, responses={201: SectorProcedureDetailSerializer})
    def create(self, request):
        """Create a procedure and its version 1 (draft)."""
        data = _valid(SectorProcedureInput, request)
        partners = []
        for item in data["partners"]:
            organisation = _get(Organisation, "code", item["organisation"], "partners")
            referent = _get(User, "username", item["referent"], "partners")
            partners.append((organisation, referent, item["role"]))
        intervention = None
        if data.get("intervention_procedure"):
            intervention = (
                ProcedureVersion.objects.filter(
                    procedure__code=data["intervention_procedure"],
                    status=VersionStatus.PUBLISHED,
                    **({"number": data["intervention_version"]} if data.get("intervention_version") else {}),
                )
                .order_by("-number")
                .first()
            )
            if intervention is None:
                raise exceptions.ValidationError(
                    {"intervention_procedure": [_("Choose a published version of a procedure.")]}
                )
        version = actions.do_create_sector_procedure(
            acting_user=request.user,
            code=data["code"],
            title=data["title"],
            description=data["description"],
            goals=data["goals"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            evaluation_month=data["evaluation_month"],
            partners=partners,
            intervention_version=intervention,
        )
        return self._detail(version.procedure.code, status.HTTP_201_CREATED)

    @extend_schema(request=SectorPerimeterInput, responses={200: SectorProcedureDetailSerializer})
    @action(
        detail=True, methods=["post"], url_path=r"versions/(?P<number>\d+)/perimeter", url_name="perimeter"
    )
    def perimeter(self, request, code=None, number=None):
        """Set the perimeter: a GeoJSON polygon, sub-sector codes, or a landlord's parcel references."""
        version = self._version(code, number)
        data = _valid(SectorPerimeterInput, request)
        kwargs = {}
        if "geometry" in data:
            kwargs["geometry"] = data["geometry"]
        if "subsectors" in data:
            kwargs["subsectors"] = [
                _get(Perimeter, "code", c, "subsectors", layer="subsectors") for c in data["subsectors"]
            ]
        if "parcels" in data:
            kwargs["parcels"] = data["parcels"]
            kwargs["owner"] = _get(Organisation, "code", data.get("owner"), "owner")
        actions.do_set_sector_perimeter(version, acting_user=request.user, **kwargs)
        return self._detail(code)

    @extend_schema(request=SectorZoneInput, responses={201: SectorProcedureDetailSerializer})
    @action(detail=True, methods=["post"], url_path=r"versions/(?P<number>\d+)/zones", url_name="zones")
    def zones(self, request, code=None, number=None):
        version = self._version(code, number)
        data = _valid(SectorZoneInput, request)
        actions.do_add_sector_zone(
            version, acting_user=request.user, name=data["name"], geometry=data["geometry"]
        )
        return self._detail(code, status.HTTP_201_CREATED)

    @extend_schema(request=SectorSplitInput, responses={201: SectorProcedureDetailSerializer})
    @action(detail=True, methods=["post"], url_path=r"versions/(?P<number>\d+)/split", url_name="split")
    def split(self, request, code=None, number=None):
        version = self._version(code, number)
        data = _valid(SectorSplitInput, request)
        actions.do_add_split_row(
            version,
            acting_user=request.user,
            category=_get(Category, "code", data.get("category"), "category"),
            category_group=_get(CategoryGroup, "code", data.get("category_group"), "category_group"),
            zone=_get(version.zones, "name", data.get("zone"), "zone"),
            season_start=data["season_start"],
            season_end=data["season_end"],
            unit=_get(Unit, "code", data["unit"], "unit"),
            what=data["what"],
        )
        return self._detail(code, status.HTTP_201_CREATED)

    @extend_schema(request=SectorMeansInput, responses={201: SectorProcedureDetailSerializer})
    @action(
        detail=True, methods=["post"], url_path=r"versions/(?P<number>\d+)/pooled-means", url_name="means"
    )
    def pooled_means(self, request, code=None, number=None):
        version = self._version(code, number)
        data = _valid(SectorMeansInput, request)
        actions.do_set_pooled_means(
            version,
            acting_user=request.user,
            organisation=_get(Organisation, "code", data["organisation"], "organisation"),
            unit=_get(Unit, "code", data["unit"], "unit"),
            yearly_capacity=data["yearly_capacity"],
            capacity_unit=data["capacity_unit"],
            categories=[_get(Category, "code", c, "categories") for c in data["categories"]],
            funding={_get(Organisation, "code", k, "funding"): v for k, v in data["funding"].items()},
        )
        return self._detail(code, status.HTTP_201_CREATED)

    @extend_schema(request=SectorOverrideInput, responses={201: SectorProcedureDetailSerializer})
    @action(
        detail=True, methods=["post"], url_path=r"versions/(?P<number>\d+)/overrides", url_name="overrides"
    )
    def overrides(self, request, code=None, number=None):
        version = self._version(code, number)
        data = _valid(SectorOverrideInput, request)
        actions.do_add_service_level_override(
            version,
            acting_user=request.user,
            category=_get(Category, "code", data.get("category"), "category"),
            urgency=data["urgency"],
            acknowledge_hours=data["acknowledge_hours"],
            resolve_hours=data["resolve_hours"],
        )
        return self._detail(code, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: SectorProcedureDetailSerializer})
    @action(detail=True, methods=["post"], url_path=r"versions/(?P<number>\d+)/submit", url_name="submit")
    def submit(self, request, code=None, number=None):
        """Send the draft to its partners' approval."""
        approvals.do_submit_sector_version(self._version(code, number), acting_user=request.user)
        return self._detail(code)

    @extend_schema(request=SectorNewVersionInput, responses={201: SectorProcedureDetailSerializer})
    @action(detail=True, methods=["post"], url_path="versions", url_name="new-version")
    def new_version(self, request, code=None):
        """Open a new draft version (a copy of the latest) taking effect at `effective_from`."""
        data = _valid(SectorNewVersionInput, request)
        actions.do_open_sector_version(
            self._procedure(code),
            acting_user=request.user,
            effective_from=data["effective_from"],
            reason=data["reason"],
        )
        return self._detail(code, status.HTTP_201_CREATED)

    @extend_schema(
        request=SectorTimeSpentInput,
        responses={
            200: inline_serializer(
                "SectorMeansConsumption",
                {
                    "year": serializers.CharField(),
                    "used": serializers.CharField(),
                    "capacity": serializers.CharField(),
                    "unit": serializers.CharField(),
                    "pct": serializers.CharField(),
                    "warning": serializers.CharField(allow_null=True, help_text="80 or 100 once reached."),
                },
            )
        },
    )
    @action(
        detail=False,
        methods=["post"],
        url_path=r"time-spent/(?P<reference>[A-Za-z0-9-]+)",
        url_name="time-spent",
    )
    def time_spent(self, request, reference=None):
        """Record the time the pooled means spent on a done request; returns their consumption."""
        target = requests_visible_to(request.user).filter(reference=reference).first()
        if target is None:
            raise exceptions.NotFound()
        data = _valid(SectorTimeSpentInput, request)
        used = means.do_record_time_spent(target, acting_user=request.user, hours=data["hours"])
        return Response({key: str(value) if value is not None else None for key, value in used.items()})


class SectorApprovalViewSet(GenericApiViewSet):
    """The approval tasks of the procedures the user sees; `?mine=1`: those waiting for the user."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = SectorApprovalSerializer

    def get_queryset(self):
        queryset = (
            sector_approvals_visible_to(self.request.user)
            .select_related("version__procedure", "partner__organisation", "partner__referent")
            .order_by("-opened_at", "pk")
        )
        if self.request.query_params.get("mine"):
            queryset = queryset.filter(partner__referent=self.request.user, state="pending")
        return queryset

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(SectorApprovalSerializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        return Response(SectorApprovalSerializer(self.get_object()).data)

    @extend_schema(request=SectorCommentInput, responses={200: SectorApprovalSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        data = _valid(SectorCommentInput, request)
        approval = approvals.do_approve_sector_version(
            self.get_object(), acting_user=request.user, comment=data["comment"]
        )
        return Response(SectorApprovalSerializer(self.get_queryset().get(pk=approval.pk)).data)

    @extend_schema(request=SectorCommentInput, responses={200: SectorApprovalSerializer})
    @action(detail=True, methods=["post"], url_path="request-changes")
    def request_changes(self, request, pk=None):
        data = _valid(SectorCommentInput, request)
        approval = approvals.do_request_sector_changes(
            self.get_object(), acting_user=request.user, comment=data["comment"]
        )
        return Response(SectorApprovalSerializer(self.get_queryset().get(pk=approval.pk)).data)


class SectorEvaluationViewSet(GenericApiViewSet):
    permission_classes = [permissions.IsAuthenticated]
    serializer_class = SectorEvaluationSerializer

    def get_queryset(self):
        return (
            sector_evaluations_visible_to(self.request.user)
            .select_related("procedure", "version", "new_version")
            .prefetch_related("opinions__partner__organisation")
            .order_by("-opened_at", "pk")
        )

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(SectorEvaluationSerializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        return Response(SectorEvaluationSerializer(self.get_object()).data)

    @extend_schema(request=SectorOpinionInput, responses={201: SectorEvaluationSerializer})
    @action(detail=True, methods=["post"])
    def opinions(self, request, pk=None):
        data = _valid(SectorOpinionInput, request)
        evaluation = self.get_object()
        evaluations.do_give_evaluation_opinion(evaluation, acting_user=request.user, text=data["text"])
        return Response(
            SectorEvaluationSerializer(self.get_queryset().get(pk=pk)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=SectorDecisionInput, responses={200: SectorEvaluationSerializer})
    @action(detail=True, methods=["post"])
    def decision(self, request, pk=None):
        data = _valid(SectorDecisionInput, request)
        evaluations.do_decide_sector_evaluation(
            self.get_object(),
            acting_user=request.user,
            decision=data["decision"],
            note=data["note"],
            effective_from=data["effective_from"],
        )
        return Response(SectorEvaluationSerializer(self.get_queryset().get(pk=pk)).data)
