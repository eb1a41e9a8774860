import pytest
from django.urls import reverse

from tests.web.browser import assert_accessible, login, screenshot

pytestmark = pytest.mark.browser


def test_a_commune_user_logs_in_and_sees_the_map_drawn_from_local_files_only(page, browser_world):
    outside = []
    page.on(
        "request",
        lambda request: None if request.url.startswith(page.base_url) else outside.append(request.url),
    )
    page.goto(page.base_url + reverse("login"))
    assert page.locator("html").get_attribute("lang") == "fr"
    assert_accessible(page)
    screenshot(page, "login")

    login(page, "commune")
    assert page.locator("h1").count() == 1
    assert_accessible(page)
    screenshot(page, "home-commune")

    page.click(f"nav >> a[href='{reverse('map')}']")
    page.wait_for_selector("[data-map][data-map-loaded]")
    # QPV, two communes and the landlord's parcel are drawn as vector paths.
    assert page.locator(".leaflet-overlay-pane path").count() == 4
    assert page.locator(".leaflet-tile").count() == 0
    page.locator(".leaflet-overlay-pane path").nth(2).click(force=True)
    assert page.locator(".leaflet-popup-content").is_visible()
    assert_accessible(page)
    screenshot(page, "map")
    assert outside == []


def test_the_menu_is_usable_with_the_keyboard_starting_with_the_skip_link(page, browser_world):
    login(page, "ctc")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused == "#main"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
