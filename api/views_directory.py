"""Read-only reference data: categories, organisations, units, referents, and the map layers (GeoJSON)."""

import datetime

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from api.views_base import ReadOnlyViewSet
from directory import land
from directory.models import (
    Competence,
    Layer,
    Organisation,
    Parcel,
    ParcelOwnership,
    Perimeter,
    Referent,
    Unit,
)
from procedures.models import Category, CategoryAttribute, UrgencyCriterion

# --- categories ----------------------------------------------------------------------------------


class CategoryAttributeSerializer(serializers.ModelSerializer):
    class Meta:
        model = CategoryAttribute
        fields = [
            "code",
            "label",
            "label_en",
            "help_text",
            "help_text_en",
            "type",
            "required",
            "choices",
            "choice_labels_en",
            "min_value",
            "max_value",
            "max_length",
        ]


class UrgencyCriterionSerializer(serializers.ModelSerializer):
    class Meta:
        model = UrgencyCriterion
        fields = ["code", "label", "label_en"]


class CategorySerializer(serializers.ModelSerializer):
    group = serializers.SlugRelatedField(slug_field="code", read_only=True)
    group_name = serializers.CharField(source="group.name", read_only=True)
    attributes = CategoryAttributeSerializer(many=True, read_only=True)
    urgency_criteria = UrgencyCriterionSerializer(many=True, read_only=True)

    class Meta:
        model = Category
        fields = [
            "code",
            "name",
            "name_en",
            "description",
            "group",
            "group_name",
            "keywords",
            "is_active",
            "attributes",
            "urgency_criteria",
        ]


class CategoryFilter(filters.FilterSet):
    group = filters.CharFilter(field_name="group__code")

    class Meta:
        model = Category
        fields = ["group", "is_active"]


class CategoryViewSet(ReadOnlyViewSet):
    """Categories of dysfunction (what Open311 calls services)."""

    serializer_class = CategorySerializer
    lookup_field = "code"
    filterset_class = CategoryFilter
    queryset = (
        Category.objects.select_related("group")
        .prefetch_related(
            Prefetch("attributes", queryset=CategoryAttribute.objects.order_by("position", "code")),
            Prefetch(
                "urgency_criteria",
                queryset=UrgencyCriterion.objects.filter(is_active=True).order_by("position", "code"),
            ),
        )
        .order_by("group__position", "name", "pk")
    )


# --- directory -----------------------------------------------------------------------------------


class OrganisationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = [
            "code",
            "name",
            "kind",
            "insee",
            "is_inclusion_enterprise",
            "email",
            "phone",
            "address",
            "website",
            "is_fictional",
        ]


class OrganisationViewSet(ReadOnlyViewSet):
    serializer_class = OrganisationSerializer
    lookup_field = "code"
    filterset_fields = ["kind", "insee"]
    queryset = Organisation.objects.order_by("name", "pk")


class UnitSerializer(serializers.ModelSerializer):
    organisation = serializers.SlugRelatedField(slug_field="code", read_only=True)
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True)
    territory = serializers.SerializerMethodField(
        help_text=gettext_lazy("INSEE codes of the communes the unit covers.")
    )

    class Meta:
        model = Unit
        fields = [
            "code",
            "name",
            "kind",
            "organisation",
            "parent",
            "territory",
            "email",
            "phone",
            "address",
            "opening_hours",
        ]

    def get_territory(self, unit) -> list[str]:
        return sorted(commune.insee for commune in unit.territory.all() if commune.insee)


class UnitFilter(filters.FilterSet):
    organisation = filters.CharFilter(field_name="organisation__code")
    commune = filters.CharFilter(
        field_name="territory__insee", label=gettext_lazy("INSEE code of a commune covered")
    )

    class Meta:
        model = Unit
        fields = ["organisation", "kind", "commune"]


class UnitViewSet(ReadOnlyViewSet):
    serializer_class = UnitSerializer
    lookup_field = "code"
    filterset_class = UnitFilter
    queryset = (
        Unit.objects.select_related("organisation", "parent")
        .prefetch_related(Prefetch("territory", queryset=Organisation.objects.only("pk", "insee")))
        .order_by("organisation__name", "name", "pk")
    )


class ReferentSerializer(serializers.ModelSerializer):
    organisation = serializers.SlugRelatedField(slug_field="code", read_only=True)
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Referent
        fields = [
            "id",
            "organisation",
            "unit",
            "first_name",
            "last_name",
            "function",
            "title",
            "email",
            "phone",
            "is_fictional",
        ]


class ReferentFilter(filters.FilterSet):
    organisation = filters.CharFilter(field_name="organisation__code")
    unit = filters.CharFilter(field_name="unit__code")
    commune = filters.CharFilter(field_name="organisation__insee", label=gettext_lazy("INSEE code"))

    class Meta:
        model = Referent
        fields = ["organisation", "unit", "commune", "function"]


class ReferentViewSet(ReadOnlyViewSet):
    """Who to contact in each organisation and unit."""

    serializer_class = ReferentSerializer
    filterset_class = ReferentFilter
    queryset = Referent.objects.select_related("organisation", "unit").order_by(
        "organisation__name", "position", "last_name", "first_name", "pk"
    )


class CompetenceSerializer(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    category = serializers.SlugRelatedField(slug_field="code", read_only=True)
    communes = serializers.SerializerMethodField(
        help_text=gettext_lazy("INSEE codes; empty: the unit's own territory.")
    )

    class Meta:
        model = Competence
        fields = [
            "id",
            "unit",
            "category",
            "communes",
            "season_start",
            "season_end",
            "direct_handling",
            "note",
        ]

    def get_communes(self, competence) -> list[str]:
        return sorted(commune.insee for commune in competence.communes.all() if commune.insee)


class CompetenceFilter(filters.FilterSet):
    unit = filters.CharFilter(field_name="unit__code")
    category = filters.CharFilter(field_name="category__code")
    commune = filters.CharFilter(field_name="communes__insee", label=gettext_lazy("INSEE code"))

    class Meta:
        model = Competence
        fields = ["unit", "category", "commune", "direct_handling"]


class CompetenceViewSet(ReadOnlyViewSet):
    """Which unit handles which category, where (and in which season)."""

    serializer_class = CompetenceSerializer
    filterset_class = CompetenceFilter
    queryset = (
        Competence.objects.select_related("unit", "category")
        .prefetch_related(Prefetch("communes", queryset=Organisation.objects.only("pk", "insee")))
        .order_by("category__code", "unit__code", "pk")
        .distinct()
    )


# --- map layers ----------------------------------------------------------------------------------


class GeoJSONPagination(PageNumberPagination):
    """A FeatureCollection page: `count`, `next` and `previous` are foreign members."""

    page_size = 500
    page_size_query_param = "page_size"
    max_page_size = 2000

    def get_paginated_response(self, data):
        return Response(
            {
                "type": "FeatureCollection",
                "count": self.page.paginator.count,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "features": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["type", "features"],
            "properties": {
                "type": {"type": "string", "enum": ["FeatureCollection"]},
                "count": {"type": "integer"},
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "features": schema,
            },
        }


class FeatureSerializer(serializers.Serializer):
    type = serializers.CharField(default="Feature")
    id = serializers.CharField()
    geometry = serializers.JSONField()
    properties = serializers.JSONField()


feature_schema = extend_schema(responses={200: FeatureSerializer})


def perimeter_properties(perimeter):
    props = {"code": perimeter.code, "name": perimeter.name, "layer": perimeter.layer}
    if perimeter.layer == Layer.COMMUNES:
        props["insee"] = perimeter.commune.insee if perimeter.commune_id else None
    elif perimeter.commune_id:
        props["commune"] = perimeter.commune.insee
    if perimeter.unit_id:
        props["unit"] = perimeter.unit.code
    if perimeter.layer == Layer.SUBSECTORS:
        props.update(subsector_properties(perimeter))
    return props


def subsector_properties(perimeter):
    """threshold (%), shares (owner organisation code -> percent of the land), delegated_manager (code)."""
    shares = {}
    for share in perimeter.land_shares or []:
        if share.get("owner"):
            shares[share["owner"]] = share.get("share_pct")
    threshold = perimeter.delegation_threshold_pct
    return {
        "threshold": float(threshold) if threshold is not None else None,
        "shares": shares,
        "delegated_manager": perimeter.delegated_manager.code if perimeter.delegated_manager_id else None,
        # Changes already known from dated ownership (land operations entered ahead of their date).
        "scheduled_changes": [
            {
                "from": entry["from"],
                "delegated_manager": entry.get("manager_code"),
                "shares": {s["owner"]: s["share_pct"] for s in entry["shares"] if s.get("owner")},
            }
            for entry in perimeter.delegation_schedule or ()
        ],
    }


class PerimeterViewSet(ReadOnlyViewSet):
    """Map layers as GeoJSON FeatureCollections in WGS84 (`?layer=` is required)."""

    serializer_class = FeatureSerializer
    pagination_class = GeoJSONPagination
    filter_backends = []
    lookup_field = "code"

    def get_queryset(self):
        queryset = Perimeter.objects.select_related("commune", "unit", "delegated_manager").order_by(
            "layer", "code", "pk"
        )
        if self.action == "list":
            layer = self.request.query_params.get("layer")
            if not layer:
                raise exceptions.ValidationError(
                    {"layer": [_("This parameter is required: one of %s.") % ", ".join(Layer.values)]}
                )
            if layer not in Layer.values:
                raise exceptions.ValidationError(
                    {
                        "layer": [
                            _("Unknown layer %(layer)r: expected one of %(choices)s.")
                            % {"layer": layer, "choices": ", ".join(Layer.values)}
                        ]
                    }
                )
            queryset = queryset.filter(layer=layer)
        else:
            layer = self.request.query_params.get("layer")
            if layer:
                queryset = queryset.filter(layer=layer)
        return queryset

    def get_object(self):
        matches = list(self.get_queryset().filter(code=self.kwargs["code"])[:2])
        if not matches:
            raise exceptions.NotFound(_("No perimeter with this code."))
        if len(matches) > 1:
            raise exceptions.ValidationError(
                {"layer": [_("Several layers have a perimeter with this code: give ?layer=.")]}
            )
        return matches[0]

    def get_serializer(self, instance=None, *args, **kwargs):
        if getattr(self, "swagger_fake_view", False):
            return FeatureSerializer(instance, *args, **kwargs)
        return _FeatureList(instance, feature=perimeter_feature, many=kwargs.get("many", False))

    @feature_schema
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        parameters=[
            OpenApiParameter("layer", OpenApiTypes.STR, enum=Layer.values, required=True),
        ],
        responses={200: FeatureSerializer(many=True)},
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


def perimeter_feature(perimeter):
    return {
        "type": "Feature",
        "id": f"{perimeter.layer}:{perimeter.code}",
        "geometry": perimeter.geometry,
        "properties": perimeter_properties(perimeter),
    }


def parcel_feature(parcel, day=None):
    """A parcel as a Feature, its owner read on `day` (default today), with its ownership periods."""
    day = land.as_day(day)
    periods = list(parcel.ownerships.all())
    period = land.covering(periods, day)
    owner_id = land.owner_id_on(parcel, periods, day)
    owner = period.owner if period else (parcel.owner if not periods else None)
    return {
        "type": "Feature",
        "id": parcel.ref,
        "geometry": parcel.geometry,
        "properties": {
            "ref": parcel.ref,
            "at": day.isoformat(),
            "exists": land.exists_on(parcel, day),
            "owner": owner.code if owner_id and owner else None,
            "owner_siren": period.siren if period else "",
            "domain": parcel.domain,
            "valid_from": parcel.valid_from.isoformat() if parcel.valid_from else None,
            "valid_until": parcel.valid_until.isoformat() if parcel.valid_until else None,
            "ownership": [
                {
                    "owner": p.owner.code if p.owner_id else None,
                    "siren": p.siren,
                    "owner_name": p.owner_name,
                    "valid_from": p.valid_from.isoformat() if p.valid_from else None,
                    "valid_until": p.valid_until.isoformat() if p.valid_until else None,
                    "source": p.source,
                }
                for p in periods
            ],
        },
    }


def at_day(request):
    """The `?at=YYYY-MM-DD` query parameter as a date (default today); 400 naming `at` otherwise."""
    value = request.query_params.get("at")
    if not value:
        return land.as_day()
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise exceptions.ValidationError({"at": [_("Enter a date as YYYY-MM-DD.")]}) from None


class _FeatureList:
    """A minimal serializer stand-in: features are plain dicts built by one function."""

    def __init__(self, instance, *, feature, many):
        self.instance, self.feature, self.many = instance, feature, many

    @property
    def data(self):
        if self.many:
            return [self.feature(item) for item in self.instance]
        return self.feature(self.instance)


class ParcelViewSet(ReadOnlyViewSet):
    """Parcels intersecting a perimeter (`?perimeter=<code>`, `&layer=` when the code is ambiguous), as they
    are on `?at=YYYY-MM-DD` (default today): the parcels existing that day, with that day's owner."""

    serializer_class = FeatureSerializer
    pagination_class = GeoJSONPagination
    filter_backends = []
    lookup_field = "ref"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        queryset = (
            Parcel.objects.select_related("owner")
            .prefetch_related(
                Prefetch("ownerships", queryset=ParcelOwnership.objects.select_related("owner"))
            )
            .order_by("ref", "pk")
        )
        if self.action != "list":
            return queryset
        queryset = queryset.existing_on(at_day(self.request))
        code = self.request.query_params.get("perimeter")
        if not code:
            raise exceptions.ValidationError({"perimeter": [_("This parameter is required.")]})
        perimeters = Perimeter.objects.filter(code=code)
        layer = self.request.query_params.get("layer")
        if layer:
            perimeters = perimeters.filter(layer=layer)
        found = list(perimeters[:2])
        if not found:
            raise exceptions.ValidationError({"perimeter": [_("No perimeter with code %r.") % code]})
        if len(found) > 1:
            raise exceptions.ValidationError(
                {"layer": [_("Several layers have a perimeter with this code: give ?layer=.")]}
            )
        perimeter = found[0]
        candidates = queryset.filter(
            min_lon__lte=perimeter.max_lon,
            max_lon__gte=perimeter.min_lon,
            min_lat__lte=perimeter.max_lat,
            max_lat__gte=perimeter.min_lat,
        )
        outline = perimeter.shape()
        refs = [
            parcel.ref
            for parcel in candidates.select_related(None).only("ref", "geometry")
            if outline.intersects(parcel.shape()) and outline.intersection(parcel.shape()).area > 0
        ]
        return queryset.filter(ref__in=refs)

    def get_serializer(self, instance=None, *args, **kwargs):
        if getattr(self, "swagger_fake_view", False):
            return FeatureSerializer(instance, *args, **kwargs)
        day = at_day(self.request)
        return _FeatureList(
            instance, feature=lambda parcel: parcel_feature(parcel, day), many=kwargs.get("many", False)
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("at", OpenApiTypes.DATE, description="Ownership as of this day (default today).")
        ],
        responses={200: FeatureSerializer},
    )
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        parameters=[
            OpenApiParameter("perimeter", OpenApiTypes.STR, required=True),
            OpenApiParameter("layer", OpenApiTypes.STR, enum=Layer.values),
            OpenApiParameter(
                "at", OpenApiTypes.DATE, description="Ownership as of this day (default today)."
            ),
        ],
        responses={200: FeatureSerializer(many=True)},
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)
