"""The legal pages in the browser: reached from the footer without an account, no axe-core violation."""

import pytest
from django.urls import reverse

from tests.web.browser import assert_accessible, screenshot

pytestmark = pytest.mark.browser


def test_an_anonymous_visitor_reaches_each_legal_page_from_the_login_pages_footer(page, browser_world):
    for name, heading in [
        ("legal-notice", "Mentions légales"),
        ("personal-data", "Données personnelles"),
        ("accessibility", "Déclaration d’accessibilité"),
    ]:
        page.goto(page.base_url + reverse("login"))
        page.click(f"footer >> a[href='{reverse(name)}']")
        page.wait_for_url(page.base_url + reverse(name))
        assert page.locator("h1").inner_text() == heading
        assert page.locator("footer nav a").count() == 3
        assert_accessible(page)
        screenshot(page, f"legal-{name}")
