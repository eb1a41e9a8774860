from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from api import (
    views_accounts,
    views_auth,
    views_diagnostics,
    views_directory,
    views_land,
    views_observation,
    views_procedures,
    views_requests,
    views_sectors,
    views_steering,
    views_tfpb,
    views_webhooks,
)
from api.routing import ResolveView  # directory helper: routing resolver
from api.views_sectors.clect import ClectGroupViewSet

app_name = "api"

router = SimpleRouter()
router.register("auth/tokens", views_auth.TokenViewSet, basename="token")
router.register("requests", views_requests.RequestViewSet, basename="request")
router.register("alerts", views_requests.AlertViewSet, basename="alert")
router.register("procedures", views_procedures.ProcedureViewSet, basename="procedure")
router.register("categories", views_directory.CategoryViewSet, basename="category")
router.register("organisations", views_directory.OrganisationViewSet, basename="organisation")
router.register("units", views_directory.UnitViewSet, basename="unit")
router.register("referents", views_directory.ReferentViewSet, basename="referent")
router.register("competences", views_directory.CompetenceViewSet, basename="competence")
router.register("perimeters", views_directory.PerimeterViewSet, basename="perimeter")
router.register("parcels", views_directory.ParcelViewSet, basename="parcel")
router.register("tfpb/axes", views_tfpb.AxisViewSet, basename="tfpb-axis")
router.register("tfpb/conventions", views_tfpb.ConventionViewSet, basename="tfpb-convention")
router.register("tfpb/programmes", views_tfpb.ProgrammeViewSet, basename="tfpb-programme")
router.register("tfpb/partner-reviews", views_tfpb.PartnerReviewViewSet, basename="tfpb-partner-review")
router.register("people", views_accounts.PersonViewSet, basename="person")
router.register("invitations", views_accounts.InvitationViewSet, basename="invitation")
router.register("access-requests", views_accounts.AccessRequestViewSet, basename="access-request")
router.register("sector-procedures", views_sectors.SectorProcedureViewSet, basename="sector-procedure")
router.register("sector-approvals", views_sectors.SectorApprovalViewSet, basename="sector-approval")
router.register("sector-evaluations", views_sectors.SectorEvaluationViewSet, basename="sector-evaluation")
router.register("sector-clect-groups", ClectGroupViewSet, basename="sector-clect-group")
router.register("land-operations", views_land.LandOperationViewSet, basename="land-operation")
router.register("webhooks/subscriptions", views_webhooks.SubscriptionViewSet, basename="webhook-subscription")
router.register("diagnostic-grids", views_diagnostics.GridVersionViewSet, basename="diagnostic-grid")
router.register("diagnostics", views_diagnostics.DiagnosticViewSet, basename="diagnostic")
router.register("observation", views_observation.ObservationViewSet, basename="observation")
router.register("webhooks/deliveries", views_webhooks.DeliveryViewSet, basename="webhook-delivery")
router.register("steering/meeting-kinds", views_steering.MeetingKindViewSet, basename="meeting-kind")
router.register("steering/meetings", views_steering.MeetingViewSet, basename="meeting")
router.register("steering/actions", views_steering.ActionViewSet, basename="steering-action")
router.register("steering/questionnaires", views_steering.QuestionnaireViewSet, basename="questionnaire")
router.register("steering/answers", views_steering.ResponseViewSet, basename="questionnaire-answer")
router.register("steering/recommendations", views_steering.RecommendationViewSet, basename="recommendation")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # the split view serves its init script from a URL (?script), not inline: it works under the CSP
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api:schema", template_name="api/swagger_ui.html"),
        name="docs",
    ),
    path("auth/token/", views_auth.ObtainTokenView.as_view(), name="obtain-token"),
    path("me/", views_auth.MeView.as_view(), name="me"),
    path("routing/resolve/", ResolveView.as_view(), name="routing-resolve"),
    *router.urls,
]
