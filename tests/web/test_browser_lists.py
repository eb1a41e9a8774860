"""In a real browser: the notification bell and marking as read, and the queue's search (htmx)."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from procedures.models import Notification, NotificationEvent
from tests.web.browser import assert_accessible, login, screenshot
from tests.web.test_browser_journeys import file_directly

pytestmark = pytest.mark.browser


def test_the_bell_shows_the_unread_and_marking_them_read_empties_it(page, browser_world, procedure, category):
    filed = file_directly(browser_world, description="Candélabre penché")
    agent = browser_world.ctc_agent
    Notification.objects.filter(user=agent).delete()
    for text in ("Première nouvelle", "Deuxième nouvelle"):
        Notification.objects.create(user=agent, request=filed, event=NotificationEvent.FILED, text=text)
    login(page, "ctc")
    bell = page.locator("#notification-bell")
    assert bell.locator(".bell-count").inner_text() == "2"
    bell.click()
    page.wait_for_url("**/notifications/")
    assert page.locator(".notification.unread").count() == 2
    assert_accessible(page)
    screenshot(page, "notifications")

    page.locator(".notification.unread button").first.click()  # htmx: the list and the bell swapped in place
    expect(page.locator(".notification.unread")).to_have_count(1)  # (not wait_for_function: CSP, no eval)
    assert page.locator("#notification-bell .bell-count").inner_text() == "1"
    page.click("text=Tout marquer comme lu")
    expect(page.locator(".notification.unread")).to_have_count(0)
    assert page.locator("#notification-bell .bell-count").count() == 0
    assert Notification.objects.filter(user=agent, read_at__isnull=True).count() == 0
    page.click(f"a[href='{reverse('request-detail', args=[filed.reference])}']")
    page.wait_for_url(f"**{reverse('request-detail', args=[filed.reference])}")


def test_the_queue_search_finds_a_request_without_its_accents(page, browser_world, procedure, category):
    lamp = file_directly(browser_world, description="Candélabre penché")
    sofa = file_directly(browser_world, description="Un canapé")
    login(page, "ctc")
    page.goto(page.base_url + reverse("queue") + "?queue=team")
    results = page.locator("#queue-results")
    assert lamp.reference in results.inner_text() and sofa.reference in results.inner_text()
    page.fill("#id_q", "candelabre")
    page.click("form[role=search] button[type=submit]")
    expect(results).not_to_contain_text(sofa.reference)
    assert lamp.reference in results.inner_text()
    assert "q=candelabre" in page.url  # the search is in the address, so it can be shared or reloaded
    assert "q=candelabre" in page.locator("#queue-results [data-map]").get_attribute("data-points-url")
    page.wait_for_selector("#queue-results [data-map][data-map-loaded]")  # the map redrawn with the search
    export = page.locator("#queue-results a[href*='/queue/export.csv']")
    assert "q=candelabre" in export.get_attribute("href")
    page.click("#queue-results th a.sort-link >> text=Référence")
    page.wait_for_selector("#queue-results th[aria-sort=ascending]")
    assert_accessible(page)
    screenshot(page, "queue-search")


def test_a_request_page_prints_without_the_menu_forms_and_buttons(page, browser_world, procedure, category):
    filed = file_directly(browser_world, description="Candélabre penché")
    login(page, "ctc")
    page.goto(page.base_url + reverse("request-detail", args=[filed.reference]))
    assert page.locator("form.take button").is_visible()
    page.emulate_media(media="print")
    assert page.locator(".site-header").is_hidden()
    assert page.locator("form.take").is_hidden() and page.locator("main button").first.is_hidden()
    assert page.locator("h1").is_visible() and page.locator(".description").is_visible()
    assert page.locator(".facts").first.is_visible() and page.locator(".facts").last.is_visible()
    page.pdf(path=str(screenshot(page, "request-print").with_suffix(".pdf")))
