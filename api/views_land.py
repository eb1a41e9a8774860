"""Land operations (remembrement, residentialisation): the dated changes of parcels and owners.

Anyone signed in reads them; recording one needs the directory's permissions (403 otherwise), and goes
through directory.actions.do_record_land_operation. Parcels as of a date: /api/v1/parcels/?at=.
"""

from rest_framework import mixins, permissions, serializers, status
from rest_framework.response import Response

from api.views_base import GenericApiViewSet
from directory import actions
from directory.models import Domain, LandOperation, LandOperationKind, Organisation


class OrganisationCodeField(serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        super().__init__(slug_field="code", queryset=Organisation.objects.all(), **kwargs)


class NewParcelSerializer(serializers.Serializer):
    ref = serializers.CharField(max_length=64)
    geometry = serializers.JSONField(help_text="GeoJSON Polygon or MultiPolygon, WGS84.")
    domain = serializers.ChoiceField(choices=Domain.choices, default=Domain.PRIVATE)
    owner = OrganisationCodeField(allow_null=True, required=False)


class OwnerChangeSerializer(serializers.Serializer):
    ref = serializers.CharField(max_length=64)
    owner = OrganisationCodeField(allow_null=True)


class LandOperationSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=LandOperationKind.choices)
    parcels_before = serializers.ListField(child=serializers.CharField(max_length=64), required=False)
    parcels_after = NewParcelSerializer(many=True, required=False, write_only=True)
    owners = OwnerChangeSerializer(many=True, required=False, write_only=True)
    created_parcels = serializers.ListField(source="parcels_after", read_only=True)

    class Meta:
        model = LandOperation
        fields = [
            "id",
            "kind",
            "name",
            "project",
            "effective_date",
            "parcels_before",
            "parcels_after",
            "created_parcels",
            "owners",
            "recorded_at",
            "applied_at",
        ]
        read_only_fields = ["recorded_at", "applied_at"]


class LandOperationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericApiViewSet):
    """Remembrement and residentialisation operations, latest date first; POST records one (it may be
    dated in the future: routing and land shares change from its date only)."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = LandOperationSerializer
    queryset = LandOperation.objects.order_by("-effective_date", "pk")
    http_method_names = ["get", "post", "head", "options"]

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        operation = actions.do_record_land_operation(
            kind=data["kind"],
            name=data["name"],
            project=data.get("project", ""),
            effective_date=data["effective_date"],
            retire=data.get("parcels_before", []),
            create=[dict(item) for item in data.get("parcels_after", [])],
            owners={item["ref"]: item["owner"] for item in data.get("owners", [])},
            acting_user=request.user,
        )
        return Response(self.get_serializer(operation).data, status=status.HTTP_201_CREATED)
