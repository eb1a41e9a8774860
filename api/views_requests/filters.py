"""Filters of the request list."""

from django.db.models import Exists, ExpressionWrapper, F, FloatField, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from rest_framework import exceptions

from api.filters import AwareDateTimeFilter
from directory import geo
from engine.models import Deadline, DeadlineState
from procedures.models import InterventionRequest, Urgency

MAX_NEAR_RADIUS_M = 20000


class RequestFilter(filters.FilterSet):
    state = filters.CharFilter(method="filter_in", field_name="case__state", help_text="Comma-separated.")
    phase = filters.CharFilter(method="filter_in", field_name="case__phase", help_text="Comma-separated.")
    category = filters.CharFilter(method="filter_in", field_name="category__code")
    commune = filters.CharFilter(method="filter_in", field_name="commune__insee", help_text="INSEE codes.")
    handler = filters.CharFilter(method="filter_in", field_name="handler_unit__code", help_text="Unit codes.")
    urgency = filters.ChoiceFilter(choices=Urgency.choices)
    overdue = filters.BooleanFilter(method="filter_overdue", help_text="A running deadline is past due.")
    created_after = AwareDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = AwareDateTimeFilter(field_name="created_at", lookup_expr="lt")
    updated_after = AwareDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    updated_before = AwareDateTimeFilter(field_name="updated_at", lookup_expr="lt")
    near = filters.CharFilter(method="filter_near", help_text="`lon,lat` (WGS84); with `radius` in metres.")
    radius = filters.NumberFilter(method="filter_noop", help_text="Metres around `near` (default 500).")
    ordering = filters.OrderingFilter(fields=["created_at", "updated_at", "reference"])

    class Meta:
        model = InterventionRequest
        fields = []

    def filter_in(self, queryset, name, value):
        values = [item.strip() for item in value.split(",") if item.strip()]
        return queryset.filter(**{f"{name}__in": values}) if values else queryset

    def filter_overdue(self, queryset, name, value):
        late = Deadline.objects.filter(
            case_id=OuterRef("case_id"), state=DeadlineState.RUNNING, due_at__lt=timezone.now()
        )
        return queryset.filter(Exists(late)) if value else queryset.exclude(Exists(late))

    def filter_noop(self, queryset, name, value):
        return queryset

    def filter_near(self, queryset, name, value):
        try:
            lon, lat = (float(part) for part in value.split(","))
        except ValueError:
            raise exceptions.ValidationError({"near": [_("Give `lon,lat` in WGS84 degrees.")]}) from None
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise exceptions.ValidationError({"near": [_("Give `lon,lat` in WGS84 degrees.")]})
        radius = self.form.cleaned_data.get("radius")
        radius = 500.0 if radius is None else float(radius)
        if not 0 < radius <= MAX_NEAR_RADIUS_M:
            raise exceptions.ValidationError(
                {"radius": [_("Between 0 and %(max)d metres.") % {"max": MAX_NEAR_RADIUS_M}]}
            )
        x, y = geo.point_lambert93(lon, lat)
        dx, dy = F("x_l93") - x, F("y_l93") - y
        return (
            queryset.filter(x_l93__range=(x - radius, x + radius), y_l93__range=(y - radius, y + radius))
            .alias(distance2=ExpressionWrapper(dx * dx + dy * dy, output_field=FloatField()))
            .filter(distance2__lte=radius * radius)
        )
