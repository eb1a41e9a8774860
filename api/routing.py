"""GET /api/v1/routing/resolve/?lat=&lon=&category= : who handles a category at a point, and why."""

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from directory.models import Unit
from directory.routing import OutsideTerritory, RoutingError, UnknownCategory, resolve
from procedures.sectors.routing import decide as sector_decide


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


def with_sector(data, sector):
    """The decision with the sub-sector procedure's part: it names the handler when its split (or its
    delegated manager) does, and the explanation starts with it."""
    data["sector"] = None
    if sector is None:
        return data
    data["sector"] = {
        "procedure": sector.procedure_title,
        "version": sector.version_number,
        "split_row": sector.row.id if sector.row else None,
        "decided": sector.unit_id is not None,
        "detail": sector.detail,
        "intervention_procedure_version": sector.intervention_version_id,
    }
    step = {
        "rule": 0,
        "code": "sector_procedure",
        "decided": sector.unit_id is not None,
        "detail": sector.detail,
    }
    data["explanation"] = [step, *data["explanation"]]
    if sector.unit_id is not None:
        unit = Unit.objects.select_related("organisation").get(pk=sector.unit_id)
        data["handler"] = {
            "code": unit.code,
            "name": unit.name,
            "kind": unit.kind,
            "organisation": unit.organisation.code,
            "organisation_name": unit.organisation.name,
        }
        data["decided_by"], data["to_qualify"] = 0, False
    return data


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
                    "sector": serializers.DictField(
                        allow_null=True,
                        help_text="The active sub-sector procedure at the point (it decides before the usual "
                        "rules when its split or its delegated manager names a unit), or null.",
                    ),
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
            sector = sector_decide(params["lon"], params["lat"], decision.category_id)
        except UnknownCategory as exc:
            raise ValidationError({"category": [str(exc)]}, code="unknown_category") from None
        except OutsideTerritory as exc:
            raise ValidationError({"non_field_errors": [str(exc)]}, code="outside_territory") from None
        except RoutingError as exc:
            raise ValidationError({"non_field_errors": [str(exc) or _("Invalid point.")]}) from None
        return Response(with_sector(decision_data(decision), sector))


# --- the routing of a filed request (GET /api/v1/requests/{id}/: `routing`) ---------------------------


class RuleStepSerializer(serializers.Serializer):
    rule = serializers.IntegerField(help_text="Rule number, in the order the rules are considered.")
    code = serializers.CharField(help_text="Rule code, e.g. territorial_competence.")
    decided = serializers.BooleanField(help_text="Whether this rule decided.")
    detail = serializers.CharField()


class RuleHandlerSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    organisation = serializers.CharField()


def request_rules(request):
    """The routing rules for a filed request's point and category, as GET /api/v1/routing/resolve/ gives them.

    The procedures store at filing the handler, the dispatcher, `to_qualify` and the deciding rules'
    details as text (`routing_explanation`), not the list of rules considered. That list is computed
    here from the current directory, for the request's point and category at its filing date (seasonal
    rules), and said so: `rules_computed_at`, and `rules_match_handler` telling whether these rules
    lead to the request's current handler (false when the directory changed or the request was
    routed again since).
    """
    out = {
        "rules": [],
        "decided_by": None,
        "rules_handler": None,
        "rules_match_handler": None,
        "rules_computed_at": serializers.DateTimeField().to_representation(timezone.now()),
        "rules_error": None,
    }
    try:
        # the decision the filing has just taken, when the request is the one just filed
        decision = getattr(request, "routing_decision", None) or resolve(
            request.lon, request.lat, request.category, at=request.created_at
        )
    except RoutingError as exc:
        out["rules_error"] = str(exc) or _("The routing rules cannot be computed for this point.")
        return out
    steps = [
        {"rule": step.rule, "code": step.code, "decided": step.decided, "detail": step.detail}
        for step in decision.explanation
    ]
    out["rules"] = steps
    out["decided_by"] = next((step for step in steps if step["decided"]), None)
    handler = decision.handler
    if handler is not None:
        out["rules_handler"] = {
            "code": handler.code,
            "name": handler.name,
            "organisation": handler.organisation.code,
        }
    current = request.handler_unit.code if request.handler_unit_id else None
    out["rules_match_handler"] = (handler.code if handler else None) == current and bool(
        decision.to_qualify
    ) == bool(request.to_qualify)
    return out
