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
from api.views_sectors.payloads import (
    SectorApprovalSerializer,
    SectorCommentInput,
    SectorDecisionInput,
    SectorEvaluationSerializer,
    SectorMeansInput,
    SectorNewVersionInput,
    SectorOpinionInput,
    SectorOverrideInput,
    SectorPerimeterInput,
    SectorProcedureDetailSerializer,
    SectorProcedureInput,
    SectorProcedureListSerializer,
    SectorSplitInput,
    SectorTimeSpentInput,
    SectorZoneInput,
)
from directory.models import Organisation, Perimeter, Unit, User
from engine.models import ProcedureVersion, VersionStatus
from procedures.models import Category, CategoryGroup
from procedures.scope import requests_visible_to
from procedures.sectors import actions, approvals, evaluations, means
from procedures.sectors.models import SectorVersion
from procedures.sectors.scope import (
    sector_approvals_visible_to,
    sector_evaluations_visible_to,
    sector_procedures_visible_to,
)


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
                    "hours": serializers.CharField(help_text="The hours recorded."),
                    "year": serializers.CharField(allow_null=True),
                    "used": serializers.CharField(allow_null=True),
                    "capacity": serializers.CharField(allow_null=True),
                    "unit": serializers.CharField(allow_null=True),
                    "pct": serializers.CharField(allow_null=True),
                    "warning": serializers.CharField(allow_null=True, help_text="80 or 100 once reached."),
                },
                help_text="The pooled means' consumption after the record; its fields are null when the"
                " request was not handled by pooled means.",
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
        """Record the hours the handling unit spent on a done request (once; any request, pooled means or
        not); returns the pooled means' consumption when they handled it."""
        target = requests_visible_to(request.user).filter(reference=reference).first()
        if target is None:
            raise exceptions.NotFound()
        data = _valid(SectorTimeSpentInput, request)
        used = means.do_record_time_spent(target, acting_user=request.user, hours=data["hours"])
        used = used or dict.fromkeys(("year", "used", "capacity", "unit", "pct", "warning"))
        body = {key: str(value) if value is not None else None for key, value in used.items()}
        return Response({"hours": f"{target.sector_time_spent.hours:.2f}", **body})


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
