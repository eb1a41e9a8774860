"""The urgency alerts' endpoints."""

from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from api.filters import IdFilter
from api.scope import visible_alerts
from api.views_base import GenericApiViewSet
from api.views_requests.serializers import AlertSerializer
from engine.models import Alert
from procedures import actions
from procedures.actions._common import MAX_REASON

MAX_NEAR_RADIUS_M = 20000


# --- alerts --------------------------------------------------------------------------------------


class AlertFilter(filters.FilterSet):
    state = filters.CharFilter(method="filter_in", field_name="state", help_text="Comma-separated.")
    request = IdFilter(field_name="case__intervention_request", help_text="Request id.")

    class Meta:
        model = Alert
        fields = ["code"]

    def filter_in(self, queryset, name, value):
        values = [item.strip() for item in value.split(",") if item.strip()]
        return queryset.filter(**{f"{name}__in": values}) if values else queryset


class AnswerSerializer(serializers.Serializer):
    justification = serializers.CharField(max_length=MAX_REASON)


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=MAX_REASON)


class AlertViewSet(GenericApiViewSet):
    """Alerts on the requests the caller may see, each naming its request."""

    serializer_class = AlertSerializer
    filterset_class = AlertFilter

    def get_queryset(self):
        return (
            visible_alerts(self.request.user)
            .select_related("case__intervention_request")
            .order_by("-raised_at", "-pk")
        )

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        context = self.get_serializer_context()
        return self.get_paginated_response(AlertSerializer(page, many=True, context=context).data)

    def retrieve(self, request, pk=None):
        return Response(AlertSerializer(self.get_object(), context=self.get_serializer_context()).data)

    def _open_alert_request(self):
        alert = self.get_object()
        request_obj = alert.case.intervention_request
        current = actions.open_urgency_alert(request_obj)
        if current is None or current.pk != alert.pk:
            raise exceptions.ValidationError(
                {"non_field_errors": [_("This alert is closed.")]}, code="invalid_transition"
            )
        return alert, request_obj

    def _answer(self, alert):
        alert.refresh_from_db()
        return Response(AlertSerializer(alert, context=self.get_serializer_context()).data)

    @extend_schema(request=AnswerSerializer, responses={200: AlertSerializer})
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        alert, request_obj = self._open_alert_request()
        data = AnswerSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        actions.do_justify_urgency(
            request_obj, acting_user=request.user, answer=data.validated_data["justification"]
        )
        return self._answer(alert)

    @extend_schema(request=NoteSerializer, responses={200: AlertSerializer})
    @action(detail=True, methods=["post"])
    def uphold(self, request, pk=None):
        alert, request_obj = self._open_alert_request()
        data = NoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        actions.do_uphold_urgency_alert(
            request_obj, acting_user=request.user, note=data.validated_data.get("note", "")
        )
        return self._answer(alert)

    @extend_schema(request=NoteSerializer, responses={200: AlertSerializer})
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        alert, request_obj = self._open_alert_request()
        data = NoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        actions.do_dismiss_urgency_alert(
            request_obj, acting_user=request.user, note=data.validated_data.get("note", "")
        )
        return self._answer(alert)
