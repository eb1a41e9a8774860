"""Entering data and page layout in a real browser (issue 12): the filing map, the address search, the
decimal comma, the warning before an urgent request without criterion, the header, the phone list, the
territory page."""

import pytest
from django.urls import reverse
from shapely.geometry import box

from procedures.models import InterventionRequest
from tests.factories import COMMUNE_1_BOX, make_parcel
from tests.procedures.helpers import make_request_row
from tests.web.browser import assert_accessible, login, screenshot

pytestmark = pytest.mark.browser


def open_filing(page, category_code="encombrants"):
    page.goto(page.base_url + reverse("request-new"))
    page.select_option("#id_category", category_code)
    page.wait_for_selector("#id_attr_access")
    page.wait_for_selector("[data-map][data-map-loaded]")


def test_the_filing_map_opens_on_the_users_commune_outlined_and_labelled(
    page, browser_world, procedure, category
):
    login(page, "commune")
    open_filing(page)
    assert page.get_attribute("[data-map]", "data-focus") == "commune-1"
    labels = page.locator(".leaflet-tooltip.map-label").all_inner_texts()
    assert "Commune Une" in labels and "Commune Deux" in labels and "QPV Un" in labels
    page.locator("[data-map]").click()  # the middle of the map is in the user's commune
    lon, lat = float(page.input_value("#id_lon")), float(page.input_value("#id_lat"))
    min_lon, min_lat, max_lon, max_lat = COMMUNE_1_BOX
    assert min_lon < lon < max_lon and min_lat < lat < max_lat
    assert page.inner_text("#pick-status") == "Le point est à Commune Une."
    screenshot(page, "filing-map-commune")
    assert_accessible(page)


def test_the_address_search_moves_the_marker_and_fills_the_address(
    page, browser_world, procedure, category, monkeypatch
):
    monkeypatch.setattr("web.views_geocode.DEMO_STREETS", [("commune-1", "Rue de la Gare", 1.708, 48.996)])
    login(page, "commune")
    open_filing(page)
    page.fill("#address-search-input", "rue de la gare")
    page.keyboard.press("Enter")  # searches, does not submit the filing form
    page.get_by_role("button", name="Rue de la Gare, Commune Une (position fictive)").click()
    assert (page.input_value("#id_lat"), page.input_value("#id_lon")) == ("48.996000", "1.708000")
    assert page.get_attribute("[data-map]", "data-marker-lat") == "48.996000"
    assert page.input_value("#id_address") == "Rue de la Gare, Commune Une"
    assert not InterventionRequest.objects.exists()
    assert_accessible(page)


def test_a_decimal_comma_places_the_point_and_an_urgent_request_without_criterion_is_warned_first(
    page, browser_world, procedure, category
):
    login(page, "commune")
    open_filing(page)
    page.fill("#id_description", "Un matelas contre la barrière")
    page.select_option("#id_attr_access", "road")
    page.fill("#id_lat", "48,99")
    page.fill("#id_lon", "1,71")
    page.dispatch_event("#id_lon", "change")
    assert page.get_attribute("[data-map]", "data-marker-lat") == "48.990000"
    page.check("#id_urgency_1")  # urgent, no criterion ticked
    page.click("button[name=file]")
    warning = page.get_by_text("Sans critère objectif, la DVQ sera alertée", exact=False)
    warning.wait_for()
    assert not InterventionRequest.objects.exists()
    assert page.input_value("#id_lat") == "48,99"  # what was typed comes back as typed
    screenshot(page, "filing-urgent-warning")
    assert_accessible(page)
    page.check("#id_confirm_no_criterion")
    page.click("button[name=file]")
    page.wait_for_url("**/requests/DI-*/")
    filed = InterventionRequest.objects.get()
    assert (filed.lat, filed.lon, filed.urgency, filed.urgency_justified) == (48.99, 1.71, "urgent", False)


@pytest.mark.parametrize("username", ["commune", "dvq", "admin"])
def test_the_header_holds_on_one_line_at_1366_px_with_one_current_item(
    page, browser_world, procedure, category, username
):
    from directory.models import User

    # a name as long as the demo's, beside the organisation's
    User.objects.filter(username=username).update(first_name="Dominique", last_name="Lefèvre-Durand")
    page.set_viewport_size({"width": 1366, "height": 768})
    login(page, username)
    page.goto(page.base_url + reverse("request-list"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366  # no sideways scrolling
    tops = page.eval_on_selector_all(
        ".site-header .brand, .site-header .menu a, .site-header .account > *",
        "nodes => nodes.map(node => Math.round(node.getBoundingClientRect().top))",
    )
    assert max(tops) - min(tops) <= 12, tops
    assert page.locator(".site-header").bounding_box()["height"] < 70
    menu, account = page.locator(".site-header .menu").bounding_box(), page.locator(".account").bounding_box()
    assert menu["x"] + menu["width"] <= account["x"], (menu, account)  # side by side, not overlapping
    widths = page.eval_on_selector_all(
        ".site-header .menu a", "nodes => nodes.map(n => n.scrollWidth - n.clientWidth)"
    )
    assert not any(widths)
    page.screenshot(
        path=str(screenshot(page, f"header-1366-{username}")),
        clip={"x": 0, "y": 0, "width": 1366, "height": 80},
    )
    assert page.locator("nav a[aria-current=page]").count() == 1
    assert page.locator("nav a[aria-current=page]").get_attribute("href") == reverse("request-list")


def test_the_request_list_fits_a_390_px_phone(page, browser_world, procedure, category):
    for number in range(3):
        make_request_row(
            category, lon=1.71, lat=48.99, commune=browser_world.commune,
            reference=f"DI-2026-00010{number}", description="Un très long texte " * 10,
        )  # fmt: skip
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, "commune")
    page.goto(page.base_url + reverse("request-list"))
    page.get_by_role("link", name="DI-2026-000100").wait_for()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    screenshot(page, "request-list-phone")
    assert_accessible(page)


def test_the_territory_page_has_a_legend_and_stays_short_with_many_parcels(page, browser_world):
    for number in range(400):
        x = 1.700 + (number % 20) * 0.001
        y = 48.980 + (number // 20) * 0.001
        make_parcel(box(x, y, x + 0.0008, y + 0.0008), owner=browser_world.landlord, ref=f"P-{number:04d}")
    login(page, "commune")
    page.goto(page.base_url + reverse("map"))
    page.wait_for_selector("[data-map][data-map-loaded]")
    legend = page.locator(".legend")
    assert legend.is_visible()
    assert "Foncier des bailleurs" in legend.inner_text() and "Zones de gestion" not in page.content()
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 2500, height
    screenshot(page, "territory-map")
    assert_accessible(page)


def test_an_open_step_form_does_not_stretch_the_other_steps_and_the_follow_up_column_reads_well(
    page, browser_world, procedure, category
):
    from tests.web.test_browser_journeys import file_directly

    filed = file_directly(browser_world)
    page.set_viewport_size({"width": 1366, "height": 900})
    login(page, "ctc")
    page.goto(page.base_url + reverse("request-detail", args=[filed.reference]))
    steps = page.locator(".actions > details")
    assert steps.count() >= 2
    before = [steps.nth(i).bounding_box()["height"] for i in range(steps.count())]
    steps.nth(0).locator("summary").click()
    after = [steps.nth(i).bounding_box()["height"] for i in range(steps.count())]
    assert after[0] > before[0] and after[1:] == before[1:]
    why = page.locator("aside .facts dd").last
    line = float(why.evaluate("node => parseFloat(getComputedStyle(node).lineHeight)"))
    assert why.bounding_box()["height"] <= 4 * line
    screenshot(page, "request-detail-steps")
    assert_accessible(page)
