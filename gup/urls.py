from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from gup.login_limits import LimitedAdminAuthenticationForm

# The admin's own names (Django's default reads "Django administration").
admin.site.site_header = _("GUP — administration")
admin.site.site_title = _("GUP administration")
admin.site.index_title = _("Data and settings of the platform")

admin.site.login_form = LimitedAdminAuthenticationForm  # brute-force protection (gup/login_limits.py)

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("api.urls")),
    path("open311/v2/", include("api.open311_urls")),
    path("oidc/", include("mozilla_django_oidc.urls")),  # single sign-on, 404 unless OIDC_ENABLED
    path("", include("web.urls")),
]
