"""The Content-Security-Policy (gup/security.py) in a real browser: the main pages work under it and
the browser reports no violation (the page fixture listens to securitypolicyviolation and console)."""

import pytest
from django.urls import reverse

from procedures import actions
from tests.factories import POINT_IN_QPV
from tests.procedures.helpers import PNG_1PX, upload
from tests.web.browser import login, logout

pytestmark = pytest.mark.browser


def visit(page, url):
    response = page.goto(page.base_url + url)
    assert response.status == 200, url
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy, url
    page.wait_for_load_state("networkidle")
    return response


def test_the_main_pages_work_under_the_content_security_policy(
    page, browser_world, procedure, category, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    filed = actions.do_file_request(
        acting_user=browser_world.commune_user,
        category="encombrants",
        description="Un canapé sur le trottoir",
        lon=POINT_IN_QPV[0],
        lat=POINT_IN_QPV[1],
        attributes={"access": "pavement"},
        files=[upload("canape.png", PNG_1PX, "image/png")],
    )
    visit(page, reverse("login"))
    login(page, "commune")
    visit(page, reverse("request-list"))
    visit(page, reverse("request-new"))
    page.wait_for_selector("[data-map][data-map-loaded]")  # Leaflet draws the map under the policy
    page.select_option("#id_category", "encombrants")
    page.wait_for_selector("#id_attr_access")  # htmx swaps the category's questions in
    visit(page, reverse("request-detail", args=[filed.reference]))
    page.wait_for_selector("[data-map][data-map-loaded]")
    thumbnail = page.locator(".attachments img.thumbnail")
    thumbnail.scroll_into_view_if_needed()
    page.wait_for_load_state("networkidle")
    assert page.evaluate("(img) => img.complete && img.naturalWidth", thumbnail.element_handle()) == 1
    assert page.evaluate("document.documentElement.classList.contains('js')")  # from js-on.js

    logout(page)
    login(page, "ctc")
    visit(page, reverse("queue"))
    logout(page)
    login(page, "dvq")
    visit(page, reverse("dvq-dashboard"))
    logout(page)
    login(page, "admin")
    visit(page, reverse("admin:index"))
    version = filed.case.version
    visit(page, reverse("admin:engine_procedureversion_change", args=[version.pk]))
    page.locator(".procedure-diagram svg").wait_for()
    visit(page, reverse("admin:procedures_interventionrequest_change", args=[filed.pk]))
    visit(page, reverse("api:docs"))
    page.wait_for_selector(".swagger-ui .information-container")  # Swagger UI started from its file
    assert page.csp_violations == []
