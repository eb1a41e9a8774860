from django.contrib import admin
from django.urls import include, path

from gup.login_limits import LimitedAdminAuthenticationForm

admin.site.login_form = LimitedAdminAuthenticationForm  # brute-force protection (gup/login_limits.py)

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("api.urls")),
    path("open311/v2/", include("api.open311_urls")),
    path("", include("web.urls")),
]
