"""GET /api/v1/routing/resolve/?lat=&lon=&category= : who handles a category at a point, and why."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from directory.routing import OutsideTerritory, RoutingError, UnknownCategory, resolve


class ResolveQuerySerializer(serializers.Serializer):
    lat = serializers.FloatField(min_value=-90, max_value=90, help_text="Latitude, WGS84.")
    lon = serializers.FloatField(min_value=-180, max_value=180, help_text="Longitude, WGS84.")
    category = serializers.SlugField(help_text="Category code.")


def decision_data(decision):
    handler = decision.handler
    return {
        "handler": {
            "code": handler.code,
            "name": handler.name,
            "kind": handler.kind,
            "organisation": handler.organisation.code,
            "organisation_name": handler.organisation.name,
        }
        if handler
        else None,
        "commune": {
            "insee": decision.commune.insee,
            "name": decision.commune.name,
            "code": decision.commune.code,
        },
        "perimeters": [{"layer": p.layer, "code": p.code, "name": p.name} for p in decision.perimeters],
        "qpv": decision.qpv,
        "to_qualify": decision.to_qualify,
        "decided_by": decision.decided_by,
        "parcel": {"ref": decision.parcel.ref, "domain": decision.parcel.domain} if decision.parcel else None,
        "explanation": [
            {"rule": step.rule, "code": step.code, "decided": step.decided, "detail": step.detail}
            for step in decision.explanation
        ],
    }


class ResolveView(APIView):
    @extend_schema(
        summary="Resolve who handles a category at a point",
        parameters=[
            OpenApiParameter("lat", float, required=True, description="Latitude (WGS84)"),
            OpenApiParameter("lon", float, required=True, description="Longitude (WGS84)"),
            OpenApiParameter("category", str, required=True, description="Category code"),
        ],
        responses={
            200: inline_serializer(
                "RoutingDecision",
                {
                    "handler": serializers.DictField(allow_null=True),
                    "commune": serializers.DictField(),
                    "perimeters": serializers.ListField(child=serializers.DictField()),
                    "qpv": serializers.BooleanField(),
                    "to_qualify": serializers.BooleanField(),
                    "decided_by": serializers.IntegerField(),
                    "parcel": serializers.DictField(allow_null=True),
                    "explanation": serializers.ListField(child=serializers.DictField()),
                },
            )
        },
    )
    def get(self, request):
        query = ResolveQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        try:
            decision = resolve(params["lon"], params["lat"], params["category"])
        except UnknownCategory as exc:
            raise ValidationError({"category": [str(exc)]}, code="unknown_category") from None
        except OutsideTerritory as exc:
            raise ValidationError({"non_field_errors": [str(exc)]}, code="outside_territory") from None
        except RoutingError as exc:
            raise ValidationError({"non_field_errors": [str(exc) or _("Invalid point.")]}) from None
        return Response(decision_data(decision))
