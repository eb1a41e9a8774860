"""The observation's figures as JSON: headline figures with the year before, a breakdown by slice,
the monthly backlog curve and the fines. Computed over the caller's observation scope
(observation.scope); a filter naming a commune or a unit outside it is a 404."""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.views_base import CleanQueryMixin
from observation import figures
from observation.figures import DIMENSIONS
from observation.filters import HANDLER_KINDS, OutOfScope, parse_dimension, parse_filters

FILTER_PARAMETERS = [
    OpenApiParameter("since", OpenApiTypes.DATE, description="First day (default: 1 January this year)."),
    OpenApiParameter("until", OpenApiTypes.DATE, description="Last day, included (default: today)."),
    OpenApiParameter("commune", str, description="INSEE code of a commune in the caller's scope."),
    OpenApiParameter("qpv", str, enum=["yes", "no"], description="Only requests in (or outside) a QPV."),
    OpenApiParameter("category", str, description="Category code."),
    OpenApiParameter("group", str, description="Category group code."),
    OpenApiParameter("handler_unit", str, description="Code of the handler unit."),
    OpenApiParameter("handler_kind", str, enum=list(HANDLER_KINDS), description="Kind of handler."),
]
NOTE = (
    "Figures about the requests filed in the period. A cell with fewer requests than the minimum "
    "(GUP_OBSERVATION_MIN_CELL) has its counts but no rates nor delays (suppressed: true). Delays are in "
    "business hours on each deadline's calendar; on time is against the target that applied when the "
    "deadline started."
)


def _filters(request):
    try:
        return parse_filters(request.user, request.query_params)
    except OutOfScope:
        raise exceptions.NotFound() from None


class ObservationViewSet(CleanQueryMixin, viewsets.ViewSet):
    """Figures of service quality (read only)."""

    @extend_schema(parameters=FILTER_PARAMETERS, responses={200: OpenApiTypes.OBJECT}, description=NOTE)
    @action(detail=False, methods=["get"])
    def figures(self, request):
        """Headline figures of the period and of the same period a year before."""
        filters = _filters(request)
        both = figures.year_over_year(request.user, filters)
        return Response({"since": filters.since, "until": filters.until, **both})

    @extend_schema(
        parameters=[
            *FILTER_PARAMETERS,
            OpenApiParameter("by", str, enum=list(DIMENSIONS), description="The slice (default: month)."),
        ],
        responses={200: OpenApiTypes.OBJECT},
        description=NOTE,
    )
    @action(detail=False, methods=["get"])
    def breakdown(self, request):
        """The same figures, one row per slice (handler unit, commune, QPV, category, month...)."""
        filters = _filters(request)
        by = parse_dimension(request.query_params)  # InvalidFields: a 400 naming "by"
        rows = figures.breakdown(request.user, filters, by)
        return Response({"since": filters.since, "until": filters.until, "by": by, "rows": rows})

    @extend_schema(parameters=FILTER_PARAMETERS, responses={200: OpenApiTypes.OBJECT})
    @action(detail=False, methods=["get"])
    def backlog(self, request):
        """Requests still to be done at the end of each month, from the monthly snapshots."""
        filters = _filters(request)
        months = figures.backlog(request.user, filters)
        return Response({"since": filters.since, "until": filters.until, "months": months})

    @extend_schema(
        parameters=[
            *FILTER_PARAMETERS,
            OpenApiParameter("by", str, enum=["commune", "category"], description="Per commune or category."),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    @action(detail=False, methods=["get"])
    def fines(self, request):
        """Fines issued after the requests of the period, per commune or per category."""
        filters = _filters(request)
        by = request.query_params.get("by") or "commune"
        if by not in ("commune", "category"):
            raise exceptions.ValidationError({"by": [_("Choose commune or category.")]})
        rows = figures.fines_by(request.user, filters, by)
        return Response({"since": filters.since, "until": filters.until, "by": by, "rows": rows})
