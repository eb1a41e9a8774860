"""Fines issued by the commune's police after a request (work stream 6): listed for whoever sees the
request, recorded through observation.actions.do_record_fine (the commune's staff or an administrator;
403 otherwise). No personal data of the offender: the date, the kind and, optionally, the amount."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from observation.actions import do_record_fine
from observation.models import FineKind


class FineSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    issued_on = serializers.DateField(read_only=True)
    kind = serializers.ChoiceField(choices=FineKind.choices, read_only=True)
    amount_eur = serializers.DecimalField(max_digits=9, decimal_places=2, read_only=True, allow_null=True)
    recorded_at = serializers.DateTimeField(read_only=True)


class FineInSerializer(serializers.Serializer):
    issued_on = serializers.DateField(help_text="The day the fine was issued (not in the future).")
    kind = serializers.ChoiceField(choices=FineKind.choices)
    amount_eur = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=20,
        help_text="Optional, in euros with at most two decimals (e.g. 135 or 68.50).",
    )  # fmt: skip


class FinesMixin:
    """The ``fines`` endpoint of a request (mixed into RequestViewSet)."""

    @extend_schema(methods=["GET"], responses={200: FineSerializer(many=True)})
    @extend_schema(methods=["POST"], request=FineInSerializer, responses={201: FineSerializer})
    @action(detail=True, methods=["get", "post"])
    def fines(self, request, pk=None):
        """Fines issued after the request. POST records one (201); a bad date, kind or amount is a 400
        naming the field, nothing stored."""
        obj = self.get_request()
        if request.method == "POST":
            data = FineInSerializer(data=request.data if isinstance(request.data, dict) else {})
            data.is_valid(raise_exception=True)
            fine = do_record_fine(
                obj, issued_on=data.validated_data["issued_on"], kind=data.validated_data["kind"],
                amount_eur=data.validated_data.get("amount_eur"), acting_user=request.user,
            )  # fmt: skip
            return Response(FineSerializer(fine).data, status=status.HTTP_201_CREATED)
        page = self.paginate_queryset(obj.fines.order_by("issued_on", "pk"))
        return self.get_paginated_response(FineSerializer(page, many=True).data)
