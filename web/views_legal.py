"""The legal pages, public: mentions légales, données personnelles, déclaration d'accessibilité.

Their contact details are settings (GUP_PUBLISHER_NAME, GUP_CONTACT_EMAIL, GUP_DPO_EMAIL...: demo values
until a deployment sets them); the retention periods shown are read from the settings in force, and the
register of personal data from docs/personal-data.md (accounts/register.py: one source).
"""

from django.conf import settings
from django.shortcuts import render

from accounts import register


def contacts():
    return {
        "publisher_name": settings.GUP_PUBLISHER_NAME,
        "publisher_address": settings.GUP_PUBLISHER_ADDRESS,
        "publication_director": settings.GUP_PUBLICATION_DIRECTOR,
        "contact_email": settings.GUP_CONTACT_EMAIL,
        "dpo_email": settings.GUP_DPO_EMAIL,
        "hosting_provider": settings.GUP_HOSTING_PROVIDER,
        "demo_values": settings.GUP_LEGAL_DEMO_VALUES,
    }


def legal_notice(request):
    return render(request, "web/legal/legal_notice.html", contacts())


def personal_data(request):
    context = contacts()
    context.update(
        register=register.rows(),
        retention_years=round(settings.GUP_PERSONAL_DATA_RETENTION_DAYS / 365, 1),
        retention_days=settings.GUP_PERSONAL_DATA_RETENTION_DAYS,
        invitation_days=settings.GUP_INVITATION_VALID_DAYS,
        session_idle_minutes=max(1, settings.SESSION_COOKIE_AGE // 60),
        session_idle_hours=settings.SESSION_COOKIE_AGE // 3600
        if settings.SESSION_COOKIE_AGE % 3600 == 0
        else 0,
        login_window_minutes=max(1, settings.LOGIN_FAILURE_WINDOW_SECONDS // 60),
        login_limits_on=bool(settings.LOGIN_MAX_FAILURES or settings.LOGIN_MAX_FAILURES_PER_ADDRESS),
        auto_close_days=settings.GUP_AUTO_CLOSE_DAYS,
    )
    return render(request, "web/legal/personal_data.html", context)


def accessibility(request):
    return render(request, "web/legal/accessibility.html", contacts())
