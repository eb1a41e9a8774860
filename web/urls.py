from django.contrib.auth import views as auth_views
from django.urls import path

import web.views_directory as views_directory  # directory helper
import web.views_tfpb as views_tfpb  # TFPB helper
from gup.login_limits import LimitedAuthenticationForm
from web import (
    views_accounts,
    views_exports,
    views_geocode,
    views_legal,
    views_map,
    views_notifications,
    views_requests,
    views_work,
)

urlpatterns = [
    path("", views_work.home, name="home"),
    path(
        "accounts/login/",
        views_accounts.LoginView.as_view(authentication_form=LimitedAuthenticationForm),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/request-access/", views_accounts.access_request_new, name="access-request"),
    path("accounts/invitation/<str:token>/", views_accounts.invitation_accept, name="invitation-accept"),
    path("people/", views_accounts.people, name="people"),
    path("people/invite/", views_accounts.people_invite, name="people-invite"),
    path("people/<int:pk>/active/", views_accounts.person_active, name="person-active"),
    path(
        "people/requests/<int:pk>/approve/",
        views_accounts.access_request_approve,
        name="access-request-approve",
    ),
    path(
        "people/requests/<int:pk>/refuse/", views_accounts.access_request_refuse, name="access-request-refuse"
    ),
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
    # TFPB abatement (web/views_tfpb/)
    path("tfpb/", views_tfpb.tfpb_home, name="tfpb-home"),
    path("tfpb/inbox/", views_tfpb.inbox, name="tfpb-inbox"),
    path("tfpb/overview/", views_tfpb.overview, name="tfpb-overview"),
    path("tfpb/overview.xlsx", views_tfpb.overview_xlsx, name="tfpb-overview-xlsx"),
    path("tfpb/conventions/<int:pk>/programmes/", views_tfpb.create_programme, name="tfpb-programme-create"),
    path("tfpb/programmes/<int:pk>/", views_tfpb.programme_detail, name="tfpb-programme"),
    path("tfpb/programmes/<int:pk>/review/", views_tfpb.review_page, name="tfpb-review"),
    path("tfpb/programmes/<int:pk>/chart.svg", views_tfpb.programme_chart, name="tfpb-chart"),
    path("tfpb/programmes/<int:pk>/programme.xlsx", views_tfpb.programme_xlsx, name="tfpb-programme-xlsx"),
    path("tfpb/programmes/<int:pk>/programme.pdf", views_tfpb.programme_pdf, name="tfpb-programme-pdf"),
    path("tfpb/programmes/<int:pk>/actions/", views_tfpb.add_action, name="tfpb-action-add"),
    path("tfpb/programmes/<int:pk>/submit/", views_tfpb.submit_programme, name="tfpb-submit"),
    path(
        "tfpb/programmes/<int:pk>/actions/<int:action_id>/realisation/",
        views_tfpb.record_realisation,
        name="tfpb-realisation",
    ),
    path("tfpb/programmes/<int:pk>/documents/", views_tfpb.add_document, name="tfpb-document-add"),
    path("tfpb/programmes/<int:pk>/review/submit/", views_tfpb.submit_year_review, name="tfpb-review-submit"),
    path("tfpb/reviews/<int:pk>/answer/", views_tfpb.answer_review, name="tfpb-answer"),
    path("mentions-legales/", views_legal.legal_notice, name="legal-notice"),
    path("donnees-personnelles/", views_legal.personal_data, name="personal-data"),
    path("accessibilite/", views_legal.accessibility, name="accessibility"),
]
