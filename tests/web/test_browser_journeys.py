"""The main journeys in a real browser (Playwright + Debian's Chromium), with axe-core on each page."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from engine.models import Alert, AlertState
from procedures import actions
from procedures.models import InterventionRequest
from tests.factories import POINT_IN_QPV
from tests.procedures.helpers import PNG_1PX, make_request_row
from tests.web.browser import assert_accessible, login, logout, screenshot

pytestmark = pytest.mark.browser


def file_directly(world, **extra):
    """A request filed through the action layer, as another page of the product would."""
    fields = {
        "acting_user": world.commune_user,
        "category": "encombrants",
        "description": "Un canapé sur le trottoir",
        "lon": POINT_IN_QPV[0],
        "lat": POINT_IN_QPV[1],
        "attributes": {"access": "pavement"},
    }
    fields.update(extra)
    return actions.do_file_request(**fields)


def open_request(page, reference):
    page.goto(page.base_url + reverse("request-detail", args=[reference]))


def test_a_commune_files_an_urgent_request_with_a_photo_and_sees_the_duplicate_suggestion(
    page, browser_world, procedure, category
):
    # Filed by another organisation (a landlord's agency) for the same place: the commune may follow it.
    existing = make_request_row(
        category, lon=POINT_IN_QPV[0], lat=POINT_IN_QPV[1], commune=browser_world.commune,
        requester_organisation=browser_world.landlord, reference="DI-2026-000777",
    )  # fmt: skip
    login(page, "commune")
    page.click(f"nav >> a[href='{reverse('request-new')}']")
    assert_accessible(page)

    page.select_option("#id_category", "encombrants")
    page.wait_for_selector("#id_attr_access")  # the category's questions, loaded by htmx
    assert page.locator("button[name=pick]").is_hidden()  # the no-JavaScript button is not needed
    page.fill("#id_description", "Un matelas et un sommier contre la barrière")

    page.wait_for_selector("[data-map][data-map-loaded]")
    page.locator("[data-map]").click()  # placing the point by clicking the map fills the coordinates
    assert page.input_value("#id_lat") and page.input_value("#id_lon")
    page.fill("#id_lat", str(POINT_IN_QPV[1]))
    page.fill("#id_lon", str(POINT_IN_QPV[0]))
    page.dispatch_event("#id_lon", "change")
    suggestion = page.locator("#duplicates")
    suggestion.get_by_role("link", name=existing.reference).wait_for()
    assert suggestion.locator(f"button[formaction$='/{existing.reference}/follow/']").count() == 1
    screenshot(page, "file-request-duplicate")
    assert_accessible(page)

    page.check("#id_urgency_1")
    page.check("#id_urgency_criteria_0")
    page.select_option("#id_attr_access", "road")
    page.set_input_files("#id_photos", {"name": "matelas.png", "mimeType": "image/png", "buffer": PNG_1PX})
    page.click("button[name=file]")
    page.wait_for_url("**/requests/DI-*/")
    filed = InterventionRequest.objects.exclude(pk=existing.pk).get()
    assert filed.urgency == "urgent" and filed.urgency_justified is True
    assert filed.case.attachments.get().name == "matelas.png"
    assert filed.reference in page.locator("h1").inner_text()
    page.get_by_role("link", name="matelas.png").wait_for()
    screenshot(page, "request-detail-commune")
    assert_accessible(page)

    page.click(f"nav >> a[href='{reverse('request-list')}']")
    page.wait_for_selector("[data-map][data-map-loaded]")
    assert page.locator(".leaflet-interactive").count() >= 2  # the requests' points among the shapes
    page.select_option("#id_urgency", "urgent")  # htmx refreshes the results in place
    # (expect, not wait_for_function: that evaluates a string, which the page's CSP refuses)
    from playwright.sync_api import expect

    expect(page.locator("#request-results")).not_to_contain_text("000777")
    assert filed.reference in page.locator("#request-results").inner_text()
    assert "urgency=urgent" in page.url
    screenshot(page, "request-list")
    assert_accessible(page)


def test_the_ctc_agent_qualifies_plans_and_completes_and_the_commune_confirms(
    page, browser_world, procedure, category
):
    filed = file_directly(browser_world)
    login(page, "ctc")
    page.goto(page.base_url + reverse("queue") + "?queue=to_qualify")
    page.get_by_role("link", name=filed.reference).wait_for()
    screenshot(page, "queue")
    assert_accessible(page)

    page.get_by_role("link", name=filed.reference).click()
    page.locator("#step-qualify summary").click()
    page.select_option("#id_t-qualify-handler_agent", str(browser_world.ctc_agent.pk))
    page.locator("#step-qualify button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".messages").is_visible()
    page.locator("#step-plan summary").click()
    planned = timezone.localdate() + timedelta(days=3)
    page.fill("#id_t-plan-planned_date", planned.isoformat())
    page.locator("#step-plan button[type=submit]").click()
    page.wait_for_load_state()
    screenshot(page, "request-detail-agent")
    assert_accessible(page)
    page.locator("#step-finish summary").click()
    page.fill("#id_t-finish-resolution_note", "Encombrants enlevés")
    page.locator("#step-finish button[type=submit]").click()
    page.wait_for_load_state()
    filed.refresh_from_db()
    assert filed.case.state == "done" and filed.planned_date == planned
    # done: the unit records the time it spent (a decimal comma), once
    page.fill("#id_time-hours", "deux")
    page.locator("form[action$='/time-spent/'] button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("#id_time-hours-errors").is_visible()
    assert_accessible(page)
    page.fill("#id_time-hours", "1,5")
    page.locator("form[action$='/time-spent/'] button[type=submit]").click()
    page.wait_for_load_state()
    assert "1,50 heures saisies" in page.locator("section[aria-labelledby=time-spent-title]").inner_text()
    assert InterventionRequest.objects.get(pk=filed.pk).sector_time_spent.hours == 1.5
    assert_accessible(page)

    logout(page)
    login(page, "commune")
    open_request(page, filed.reference)
    follow_up = page.locator("aside").inner_text()
    assert planned.strftime("%Y") in follow_up and "non planifiée" not in follow_up
    confirm = page.locator("form[action$='/steps/confirm/'] button")
    confirm.click()
    page.wait_for_load_state()
    filed.refresh_from_db()
    assert filed.case.state == "closed"
    screenshot(page, "request-closed-commune")
    assert_accessible(page)


def test_the_dvq_raises_an_alert_the_commune_answers_and_the_dvq_closes_it(
    page, browser_world, procedure, category
):
    filed = file_directly(browser_world, urgency="urgent", urgency_criteria=["danger"])
    login(page, "dvq")
    page.goto(page.base_url + reverse("dvq-dashboard"))
    screenshot(page, "dvq-dashboard")
    assert_accessible(page)
    page.get_by_role("link", name=filed.reference).first.click()
    page.locator(
        "#urgency-check ~ details summary, section[aria-labelledby=urgency-check] summary"
    ).first.click()
    page.fill("#id_reason", "Le danger pour les passants n'est pas établi.")
    page.locator("form[action$='/alert/raise/'] button").click()
    page.wait_for_load_state()
    assert Alert.objects.get(case=filed.case).state == AlertState.RAISED

    logout(page)
    login(page, "commune")
    open_request(page, filed.reference)
    page.fill("#id_answer", "Le matelas bloque le passage des poussettes.")
    page.locator("form[action$='/alert/answer/'] button").click()
    page.wait_for_load_state()
    assert Alert.objects.get(case=filed.case).state == AlertState.ANSWERED

    logout(page)
    login(page, "dvq")
    open_request(page, filed.reference)
    page.check("#id_outcome_1")  # dismissed: the urgency stands
    page.locator("form[action$='/alert/close/'] button").click()
    page.wait_for_load_state()
    alert = Alert.objects.get(case=filed.case)
    assert (alert.state, alert.outcome) == (AlertState.CLOSED, "dismissed")
    screenshot(page, "request-alert-closed")
    assert_accessible(page)


def test_a_commune_files_and_reads_a_request_with_javascript_turned_off(
    chromium, live_server, browser_world, procedure, category
):
    context = chromium.new_context(java_script_enabled=False, locale="fr-FR")
    page = context.new_page()
    page.base_url = live_server.url
    try:
        login(page, "commune")
        page.goto(page.base_url + reverse("request-new"))
        page.select_option("#id_category", "encombrants")
        page.click("button[name=pick]")  # without htmx, the page reloads with the category's questions
        page.wait_for_selector("#id_attr_access")
        page.fill("#id_description", "Un frigo abandonné")
        page.fill("#id_lat", str(POINT_IN_QPV[1]))
        page.fill("#id_lon", str(POINT_IN_QPV[0]))
        page.select_option("#id_attr_access", "none")
        page.click("button[name=file]")
        page.wait_for_url("**/requests/DI-*/")
        filed = InterventionRequest.objects.get()
        assert filed.description == "Un frigo abandonné" and filed.attributes == {"access": "none"}
        page.goto(page.base_url + reverse("request-list"))
        assert filed.reference in page.locator("table").inner_text()
        screenshot(page, "request-list-without-javascript")
    finally:
        context.close()
