from django.contrib.auth import views as auth_views
from django.urls import path

import web.views_directory as views_directory  # directory helper
from web import views, views_map

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(success_url="/accounts/password/done/"),
        name="password_change",
    ),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("map/", views_map.map_page, name="map"),
    path("map/layers.geojson", views_map.map_layers, name="map-layers"),
    path("directory/", views_directory.directory_home, name="directory-home"),
    path("directory/organisations/<slug:code>/", views_directory.organisation_chart, name="directory-org"),
    path("directory/referents/<int:pk>/", views_directory.referent_card, name="directory-referent"),
]
