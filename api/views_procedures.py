"""Procedures as data: definitions, their versions, storing a new version, publishing, the diagram.

Reading is open to every authenticated user; storing and publishing to those the one rule
`engine.actions.may_manage_procedure` accepts (the model permission, or django-guardian's object
permission on that procedure), decided by the actions themselves (403 otherwise), reached through
`procedures.actions.do_store_procedure_version` / `do_publish_procedure_version`.
"""

from django.http import HttpResponse
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from api.views_base import GenericApiViewSet
from engine import diagram
from engine.models import Procedure, ProcedureVersion
from procedures.actions import do_publish_procedure_version, do_store_procedure_version


class VersionSerializer(serializers.ModelSerializer):
    procedure = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = ProcedureVersion
        fields = ["procedure", "number", "status", "created_at", "published_at", "retired_at"]


class VersionDetailSerializer(VersionSerializer):
    definition = serializers.JSONField()

    class Meta(VersionSerializer.Meta):
        fields = [*VersionSerializer.Meta.fields, "source", "definition"]


class ProcedureSerializer(serializers.ModelSerializer):
    versions = VersionSerializer(many=True, read_only=True)

    class Meta:
        model = Procedure
        fields = ["code", "title", "created_at", "versions"]


class SourceSerializer(serializers.Serializer):
    source = serializers.CharField(help_text=gettext_lazy("The YAML definition (its own `version` number)."))
    publish = serializers.BooleanField(required=False, default=False)


class ProcedureViewSet(GenericApiViewSet):
    serializer_class = ProcedureSerializer
    permission_classes = [permissions.IsAuthenticated]  # writes: the actions decide (403)
    lookup_field = "code"
    queryset = Procedure.objects.prefetch_related("versions__procedure").order_by("code")

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ProcedureSerializer(page, many=True).data)

    def retrieve(self, request, code=None):
        return Response(ProcedureSerializer(self.get_object()).data)

    def _version(self, code, number):
        version = (
            ProcedureVersion.objects.select_related("procedure")
            .filter(procedure__code=code, number=number)
            .first()
        )
        if version is None:
            raise exceptions.NotFound()
        return version

    @extend_schema(request=SourceSerializer, responses={201: VersionDetailSerializer})
    @action(detail=False, methods=["post"], url_path="versions")
    def store(self, request):
        """Store a new version from its YAML source (a draft, or published at once with `publish`)."""
        data = SourceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = do_store_procedure_version(
            data.validated_data["source"], acting_user=request.user, publish=data.validated_data["publish"]
        )
        return Response(VersionDetailSerializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: VersionDetailSerializer})
    @action(detail=True, url_path=r"versions/(?P<number>\d+)", url_name="version")
    def version(self, request, code=None, number=None):
        return Response(VersionDetailSerializer(self._version(code, number)).data)

    @extend_schema(request=None, responses={200: VersionSerializer})
    @action(detail=True, methods=["post"], url_path=r"versions/(?P<number>\d+)/publish", url_name="publish")
    def publish(self, request, code=None, number=None):
        version = do_publish_procedure_version(self._version(code, number), acting_user=request.user)
        return Response(VersionSerializer(version).data)

    @extend_schema(
        parameters=[OpenApiParameter("output", OpenApiTypes.STR, enum=["mermaid", "svg"])],
        responses={
            200: inline_serializer("Diagram", fields={"mermaid": serializers.CharField()}),
            (200, "image/svg+xml"): OpenApiTypes.STR,
        },
    )
    @action(detail=True, url_path=r"versions/(?P<number>\d+)/diagram", url_name="diagram")
    def diagram(self, request, code=None, number=None):
        """The state diagram: Mermaid text (default) or `?output=svg`."""
        version = self._version(code, number)
        language = (request.LANGUAGE_CODE or "fr")[:2]
        if request.query_params.get("output") == "svg":
            return HttpResponse(diagram.svg(version.definition, language), content_type="image/svg+xml")
        return Response({"mermaid": diagram.mermaid(version.definition, language)})
