"""CLECT groups in the API (beside the sub-sector procedures): the groups and their dated members, adding
and ending memberships, and a year's figures per actor, per commune and per member. Read through
`procedures.sectors.scope.clect_groups_visible_to` (out of scope: 404), written through
`procedures.sectors.clect` (refusals: 403, bad input: 400 naming the field)."""

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from api.views_base import GenericApiViewSet
from directory.models import Perimeter
from procedures.sectors import clect
from procedures.sectors.clect_figures import group_figures
from procedures.sectors.scope import (
    clect_groups_visible_to,
    clect_member_prefetches,
    sector_procedures_visible_to,
)


class ClectMembershipSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.SerializerMethodField(help_text="`perimeter` or `procedure`.")
    layer = serializers.SerializerMethodField(help_text="The perimeter's layer (perimeters only).")
    code = serializers.SerializerMethodField(help_text="The perimeter's or the procedure's code.")
    name = serializers.SerializerMethodField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(allow_null=True, help_text="Included; null: still a member.")

    def get_kind(self, membership) -> str:
        return "perimeter" if membership.perimeter_id else "procedure"

    def get_layer(self, membership) -> str | None:
        return membership.perimeter.layer if membership.perimeter_id else None

    def get_code(self, membership) -> str:
        return membership.member.code

    def get_name(self, membership) -> str:
        return membership.perimeter.name if membership.perimeter_id else membership.procedure.title


class ClectGroupSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    members = ClectMembershipSerializer(many=True, source="memberships.all")


class ClectGroupInput(serializers.Serializer):
    code = serializers.CharField(max_length=64)
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")


class ClectMemberInput(serializers.Serializer):
    layer = serializers.CharField(required=False, help_text="With `perimeter`: the perimeter's layer.")
    perimeter = serializers.CharField(required=False, help_text="A perimeter's code (with its layer).")
    procedure = serializers.CharField(required=False, help_text="Or a sub-sector procedure's code.")
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(required=False, allow_null=True, default=None)


class ClectEndInput(serializers.Serializer):
    ends_on = serializers.DateField()


class ClectCountSerializer(serializers.Serializer):
    requests = serializers.IntegerField(help_text="Interventions: requests filed inside a member.")
    done = serializers.IntegerField()
    hours = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        help_text="Sum of the hours the handling units recorded on their done requests (0 when none).",
    )
    time_recorded = serializers.IntegerField(
        help_text="Requests with time recorded: 0 means the hours are not recorded, not that none were spent."
    )


class ClectActorSerializer(ClectCountSerializer):
    actor = serializers.CharField()
    organisation = serializers.CharField()


class ClectCommuneSerializer(ClectCountSerializer):
    commune = serializers.CharField()


class ClectRowSerializer(ClectActorSerializer):
    commune = serializers.CharField()


class ClectMemberFiguresSerializer(serializers.Serializer):
    kind = serializers.CharField()
    code = serializers.CharField()
    label = serializers.CharField()
    counted_from = serializers.DateField(source="from", allow_null=True)
    counted_to = serializers.DateField(source="to", allow_null=True, help_text="Included.")
    requests = serializers.IntegerField()


class ClectFiguresSerializer(serializers.Serializer):
    group = serializers.CharField()
    year = serializers.IntegerField()
    total = ClectCountSerializer()
    by_actor = ClectActorSerializer(many=True)
    by_commune = ClectCommuneSerializer(many=True)
    by_member = ClectMemberFiguresSerializer(many=True)
    rows = ClectRowSerializer(many=True, help_text="Per commune and actor (what the exports write).")


def _valid(serializer_class, request):
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return data.validated_data


class ClectGroupViewSet(GenericApiViewSet):
    """Groups of perimeters and sub-sector procedures for the CLECT."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = ClectGroupSerializer
    lookup_field = "code"

    def get_queryset(self):
        return (
            clect_groups_visible_to(self.request.user)
            .prefetch_related(*clect_member_prefetches())
            .order_by("code")
        )

    def _group(self, code):
        group = self.get_queryset().filter(code=code).first()
        if group is None:
            raise exceptions.NotFound()
        return group

    def _detail(self, code, status_code=status.HTTP_200_OK):
        return Response(ClectGroupSerializer(self._group(code)).data, status=status_code)

    @extend_schema(responses={200: ClectGroupSerializer(many=True)})
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ClectGroupSerializer(page, many=True).data)

    @extend_schema(responses={200: ClectGroupSerializer})
    def retrieve(self, request, code=None):
        return self._detail(code)

    @extend_schema(request=ClectGroupInput, responses={201: ClectGroupSerializer})
    def create(self, request):
        """Create a group (administrators)."""
        clect.check_may_edit(request.user)
        data = _valid(ClectGroupInput, request)
        group = clect.do_create_clect_group(acting_user=request.user, **data)
        return self._detail(group.code, status.HTTP_201_CREATED)

    @extend_schema(request=ClectMemberInput, responses={201: ClectGroupSerializer})
    @action(detail=True, methods=["post"], url_path="members", url_name="members")
    def members(self, request, code=None):
        """Add a perimeter (`layer` and `perimeter` codes) or a sub-sector procedure (`procedure` code)
        to the group from `starts_on` (until `ends_on` included, or open-ended)."""
        group = self._group(code)
        clect.check_may_edit(request.user)
        data = _valid(ClectMemberInput, request)
        perimeter = procedure = None
        if data.get("perimeter"):
            perimeter = Perimeter.objects.filter(layer=data.get("layer", ""), code=data["perimeter"]).first()
            if perimeter is None:
                raise exceptions.ValidationError(
                    {"perimeter": [_("Unknown perimeter: give its layer and its code.")]}
                )
        if data.get("procedure"):
            procedure = sector_procedures_visible_to(request.user).filter(code=data["procedure"]).first()
            if procedure is None:
                raise exceptions.ValidationError(
                    {"procedure": [_("Unknown: %(value)s.") % {"value": data["procedure"]}]}
                )
        clect.do_add_clect_member(
            group,
            acting_user=request.user,
            perimeter=perimeter,
            procedure=procedure,
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
        )
        return self._detail(code, status.HTTP_201_CREATED)

    @extend_schema(request=ClectEndInput, responses={200: ClectGroupSerializer})
    @action(detail=True, methods=["post"], url_path=r"members/(?P<membership>\d+)/end", url_name="member-end")
    def end_member(self, request, code=None, membership=None):
        """End a membership at `ends_on` (included)."""
        group = self._group(code)
        found = group.memberships.filter(pk=membership).first()
        if found is None:
            raise exceptions.NotFound()
        clect.check_may_edit(request.user)
        data = _valid(ClectEndInput, request)
        clect.do_end_clect_membership(found, acting_user=request.user, ends_on=data["ends_on"])
        return self._detail(code)

    @extend_schema(
        parameters=[
            OpenApiParameter("year", OpenApiTypes.INT, description="Calendar year (default: this year).")
        ],
        responses={200: ClectFiguresSerializer},
    )
    @action(detail=True, methods=["get"])
    def figures(self, request, code=None):
        """A year's interventions and time spent per actor, per commune and per member."""
        group = self._group(code)
        raw = request.query_params.get("year")
        year = timezone.localdate().year
        if raw not in (None, ""):
            try:
                year = int(raw)
                if not 2000 <= year <= 2100:
                    raise ValueError
            except ValueError:
                raise exceptions.ValidationError(
                    {"year": [_("Give a year between 2000 and 2100.")]}
                ) from None
        figures = group_figures(group, year)
        return Response(ClectFiguresSerializer({**figures, "group": group.code}).data)
