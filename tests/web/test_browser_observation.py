"""In a real browser: the Observation page with and without JavaScript (a plain GET form), its charts
and tables, axe-core on it and on an annual review, and its width on a phone."""

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from observation.actions import do_generate_annual_review
from procedures import actions
from tests.factories import PASSWORD, POINT_IN_COMMUNE_1
from tests.web.browser import assert_accessible, login, screenshot
from tests.web.test_browser_journeys import file_directly

pytestmark = pytest.mark.browser


def _year_of_requests(world):
    for index in range(3):
        request = file_directly(
            world, description=f"Canapé {index}", lon=POINT_IN_COMMUNE_1[0], lat=POINT_IN_COMMUNE_1[1]
        )
        for code, fields in [
            ("acknowledge", {}),
            ("qualify", {}),
            ("start_work", {}),
            ("finish", {"resolution_note": "Fait."}),
        ]:
            actions.do_transition_request(request, code, acting_user=world.ctc_agent, fields=fields)


def test_the_dashboard_filters_and_shows_charts_with_their_tables(page, browser_world, procedure, category):
    _year_of_requests(browser_world)
    login(page, "dvq")
    page.goto(page.base_url + reverse("observation"))
    expect(page.locator("h1")).to_contain_text("Observation de la qualité de service")
    expect(page.locator(".obs-tiles li").first).to_contain_text("3")
    expect(page.locator(".obs-chart img")).to_have_count(3)  # no delays by handler: 3 < the minimum cell
    page.select_option("#id_commune", "78901")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_url("**commune=78901**")
    expect(page.locator("table caption", has_text="Volume mensuel et stock")).to_have_count(1)
    assert_accessible(page)
    screenshot(page, "observation")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert_accessible(page)
    page.goto(page.base_url + reverse("observation") + "?since=2026-02-30")
    expect(page.locator(".errorlist")).to_contain_text("AAAA-MM-JJ")
    assert_accessible(page)


def test_the_dashboard_works_without_javascript(chromium, live_server, browser_world, procedure, category):
    _year_of_requests(browser_world)
    context = chromium.new_context(locale="fr-FR", java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + reverse("login"))
    page.fill("#id_username", "commune")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.goto(live_server.url + reverse("observation"))
    page.fill("#id_since", f"{timezone.localdate().year}-01-01")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_url("**since=**")
    expect(page.locator(".obs-chart img")).to_have_count(3)  # no delays by handler: 3 < the minimum cell
    rows = page.locator("table:has(caption:text('Volume mensuel et stock')) tbody tr")
    assert sum(int(rows.nth(i).locator("td").first.inner_text()) for i in range(rows.count())) == 3
    # another commune's figures: 404, without JavaScript too
    response = page.goto(live_server.url + reverse("observation") + "?commune=78902")
    assert response.status == 404
    context.close()


def test_an_annual_review_page_is_accessible(page, browser_world, procedure, category):
    _year_of_requests(browser_world)
    review = do_generate_annual_review(timezone.localdate().year, None, acting_user=None)
    login(page, "dvq")
    page.goto(page.base_url + reverse("review-detail", args=[review.pk]))
    expect(page.locator("h1")).to_contain_text(f"Bilan annuel {review.year}")
    assert_accessible(page)
    page.goto(page.base_url + reverse("review-list"))
    expect(page.locator("table caption", has_text="Bilans")).to_have_count(1)
    assert_accessible(page)
