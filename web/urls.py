from django.contrib.auth import views as auth_views
from django.urls import path

import web.views_directory as views_directory  # directory helper
from gup.login_limits import LimitedAuthenticationForm
from web import (
    views_exports,
    views_geocode,
    views_legal,
    views_map,
    views_notifications,
    views_requests,
    views_sectors,
    views_work,
)

urlpatterns = [
    path("", views_work.home, name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=LimitedAuthenticationForm),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        # web/account/, not registration/: the admin's templates of that name come first in the loader
        auth_views.PasswordChangeView.as_view(
            template_name="web/account/password_change_form.html", success_url="/accounts/password/done/"
        ),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="web/account/password_change_done.html"),
        name="password_change_done",
    ),
    path("sector-procedures/", views_sectors.sector_list, name="sector-list"),
    path("sector-procedures/inbox/", views_sectors.sector_inbox, name="sector-inbox"),
    path("sector-procedures/new/", views_sectors.sector_new, name="sector-new"),
    path(
        "sector-procedures/approvals/<int:pk>/",
        views_sectors.sector_approval_answer,
        name="sector-approval-answer",
    ),
    path(
        "sector-procedures/evaluations/<int:pk>/",
        views_sectors.sector_evaluation_answer,
        name="sector-evaluation-answer",
    ),
    path("sector-procedures/<slug:code>/", views_sectors.sector_detail, name="sector-detail"),
    path("sector-procedures/<slug:code>/map.geojson", views_sectors.sector_map_data, name="sector-map-data"),
    path("map/", views_map.map_page, name="map"),
    path("map/layers.geojson", views_map.map_layers, name="map-layers"),
    path("map/addresses.geojson", views_geocode.address_search, name="map-address-search"),
    path("requests/", views_requests.request_list, name="request-list"),
    path("requests/export.<str:fmt>", views_exports.request_list_export, name="request-export"),
    path("requests/points.geojson", views_requests.request_points, name="request-points"),
    path("requests/new/", views_requests.request_new, name="request-new"),
    path(
        "requests/new/category-fields/",
        views_requests.request_new_category_fields,
        name="request-new-category-fields",
    ),
    path("requests/new/duplicates/", views_requests.request_new_duplicates, name="request-new-duplicates"),
    path("requests/<str:reference>/", views_requests.request_detail, name="request-detail"),
    path("requests/<str:reference>/take/", views_requests.request_take, name="request-take"),
    path("requests/<str:reference>/follow/", views_requests.request_follow, name="request-follow"),
    path(
        "requests/<str:reference>/steps/<slug:code>/",
        views_requests.request_transition,
        name="request-transition",
    ),
    path("requests/<str:reference>/comments/", views_requests.request_comment, name="request-comment"),
    path("requests/<str:reference>/files/", views_requests.request_attach, name="request-attach"),
    path(
        "requests/<str:reference>/files/<int:attachment_id>/",
        views_requests.request_attachment,
        name="request-attachment",
    ),
    path("requests/<str:reference>/shares/", views_requests.request_share, name="request-share"),
    path(
        "requests/<str:reference>/shares/<int:user_id>/remove/",
        views_requests.request_unshare,
        name="request-unshare",
    ),
    path("requests/<str:reference>/alert/raise/", views_requests.alert_raise, name="request-alert-raise"),
    path("requests/<str:reference>/alert/answer/", views_requests.alert_answer, name="request-alert-answer"),
    path("requests/<str:reference>/alert/close/", views_requests.alert_close, name="request-alert-close"),
    path("queue/", views_work.queue, name="queue"),
    path("queue/export.<str:fmt>", views_exports.queue_export, name="queue-export"),
    path("queue/points.geojson", views_work.queue_points, name="queue-points"),
    path("queue/assign/", views_work.queue_assign, name="queue-assign"),
    path("dvq/", views_work.dvq_dashboard, name="dvq-dashboard"),
    path("dvq/export/<slug:table>.<str:fmt>", views_exports.dvq_export, name="dvq-export"),
    path("notifications/", views_notifications.notification_list, name="notification-list"),
    path("notifications/read/", views_notifications.notification_read, name="notification-read"),
    path("directory/", views_directory.directory_home, name="directory-home"),
    path("directory/organisations/<slug:code>/", views_directory.organisation_chart, name="directory-org"),
    path("directory/referents/<int:pk>/", views_directory.referent_card, name="directory-referent"),
    path("mentions-legales/", views_legal.legal_notice, name="legal-notice"),
    path("donnees-personnelles/", views_legal.personal_data, name="personal-data"),
    path("accessibilite/", views_legal.accessibility, name="accessibility"),
]
