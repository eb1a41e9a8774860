"""The main journeys with the keyboard only (RGAA 7.3, 10.7, 12.8): filing, working a request, the DVQ's
alert and a partner's approval. Every action is reached with Tab,
done with Enter, Space, arrows or typing, and each element that takes the focus shows it visibly.

No click and no `fill` here: the tests move the focus with Tab (or Shift+Tab) and type, like a person
without a mouse. `tab_to` fails when the element cannot be reached within the page's tab order, and
every element the focus passed through on the way must show a focus indicator (an outline or a box
shadow that differs from its unfocused look).
"""

import pytest
from django.urls import reverse

from engine.models import Alert, AlertState
from procedures.models import InterventionRequest
from tests.factories import PASSWORD, POINT_IN_QPV
from tests.web.browser import assert_accessible, screenshot
from tests.web.test_browser_journeys import file_directly

pytestmark = pytest.mark.browser

# What the focused element looks like, against its own look once blurred: a focus indicator is an
# outline (style not none, width > 0) or a box shadow that the element has only while focused.
FOCUS_STATE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  const shadow = style.boxShadow;
  const describe = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + (el.getAttribute("name") ? "[name=" + el.getAttribute("name") + "]" : "")
    + " " + (el.innerText || el.value || el.getAttribute("aria-label") || "").trim().slice(0, 40);
  const rect = el.getBoundingClientRect();
  return {describe, outline, shadow, visible: rect.width > 0 && rect.height > 0};
}"""
BLURRED_SHADOW = """() => {
  const el = document.activeElement;
  const focused = getComputedStyle(el).boxShadow;
  el.blur();
  const blurred = getComputedStyle(el).boxShadow;
  el.focus({focusVisible: true});
  return focused !== "none" && focused !== blurred;
}"""
MATCHES = "(selector) => !!document.activeElement && document.activeElement.matches(selector)"


def tab_to(page, selector, *, backwards=False, limit=150):
    """Press Tab until the focus is on `selector`; assert that the focus stayed visible on the way."""
    invisible = []
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        state = page.evaluate(FOCUS_STATE)
        if state is None:
            continue
        if not state["visible"]:
            invisible.append(state["describe"] + " (focused but not on screen)")
        elif not state["outline"] and not page.evaluate(BLURRED_SHADOW):
            invisible.append(state["describe"])
        if page.evaluate(MATCHES, selector):
            assert invisible == [], f"the focus is not visible on: {invisible}"
            return
    raise AssertionError(f"{selector} is not reachable with the keyboard ({limit} presses of Tab)")


def type_into(page, selector, text):
    tab_to(page, selector)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def keyboard_login(page, username):
    page.goto(page.base_url + reverse("login"))
    type_into(page, "#id_username", username)
    type_into(page, "#id_password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def test_the_skip_link_is_the_first_stop_and_takes_the_focus_to_the_content(page, browser_world):
    keyboard_login(page, "commune")
    page.keyboard.press("Tab")
    assert page.evaluate(MATCHES, "a.skip-link")
    assert page.evaluate(FOCUS_STATE)["outline"]
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")
    assert page.evaluate("() => document.activeElement.closest('main') !== null || "
                         "document.activeElement.tagName === 'MAIN'")  # fmt: skip


def test_a_commune_files_a_request_with_the_keyboard_only(page, browser_world, procedure, category):
    keyboard_login(page, "commune")
    tab_to(page, f"nav a[href='{reverse('request-new')}']")
    page.keyboard.press("Enter")
    page.wait_for_url("**" + reverse("request-new"))

    tab_to(page, "#id_category")
    label = page.locator("#id_category option[value=encombrants]").inner_text()
    page.keyboard.type(label[:6])  # a closed select chooses by typing the start of an option
    assert page.input_value("#id_category") == "encombrants"
    page.locator("#id_attr_access").wait_for()  # the category's questions, loaded on change
    type_into(page, "#id_description", "Un canapé devant l'entrée, posé au clavier")
    # The map has its equivalent: the coordinates (and the address) are fields of the form.
    type_into(page, "#id_lat", str(POINT_IN_QPV[1]))
    type_into(page, "#id_lon", str(POINT_IN_QPV[0]))
    tab_to(page, "#id_attr_access")
    page.keyboard.press("ArrowDown")
    assert page.input_value("#id_attr_access") != ""
    tab_to(page, "button[name=file]")
    screenshot(page, "keyboard-filing")
    page.keyboard.press("Enter")
    page.wait_for_url("**/requests/DI-*/")
    filed = InterventionRequest.objects.get()
    assert filed.description == "Un canapé devant l'entrée, posé au clavier"
    assert (filed.lon, filed.lat) == pytest.approx(POINT_IN_QPV)
    assert filed.reference in page.locator("h1").inner_text()


def test_an_agent_qualifies_a_request_from_the_queue_with_the_keyboard_only(
    page, browser_world, procedure, category
):
    filed = file_directly(browser_world)
    keyboard_login(page, "ctc")
    page.goto(page.base_url + reverse("queue") + "?queue=to_qualify")
    tab_to(page, f"main a[href$='/requests/{filed.reference}/']")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/requests/{filed.reference}/")

    tab_to(page, "#step-qualify summary")
    page.keyboard.press("Enter")  # opens the step's form
    tab_to(page, "#id_t-qualify-handler_agent")
    name = page.locator(
        f"#id_t-qualify-handler_agent option[value='{browser_world.ctc_agent.pk}']"
    ).inner_text()
    page.keyboard.type(name[:5])
    assert page.input_value("#id_t-qualify-handler_agent") == str(browser_world.ctc_agent.pk)
    tab_to(page, "#step-qualify button[type=submit]")
    page.keyboard.press("Enter")
    page.locator(".messages").wait_for()
    filed.refresh_from_db()
    assert filed.case.state == "qualified"
    assert filed.handler_agent == browser_world.ctc_agent
    assert_accessible(page)


def test_the_dvq_raises_an_urgency_alert_with_the_keyboard_only(page, browser_world, procedure, category):
    filed = file_directly(browser_world, urgency="urgent", urgency_criteria=["danger"])
    keyboard_login(page, "dvq")
    page.goto(page.base_url + reverse("request-detail", args=[filed.reference]))
    tab_to(page, "section[aria-labelledby=urgency-check] summary, #urgency-check ~ details summary")
    page.keyboard.press("Enter")
    type_into(page, "#id_reason", "Aucun danger établi pour les passants.")
    tab_to(page, "form[action$='/alert/raise/'] button")
    page.keyboard.press("Enter")
    page.locator(".messages").wait_for()
    alert = Alert.objects.get(case=filed.case)
    assert alert.state == AlertState.RAISED
    assert alert.reason == "Aucun danger établi pour les passants."


def test_a_partner_approves_a_sub_sector_procedure_with_the_keyboard_only(page, browser_world, procedure):
    from procedures.sectors import approvals
    from procedures.sectors.models import SectorApproval
    from tests.sectors.conftest import build_draft, make_sector_world

    sector = build_draft(make_sector_world(browser_world))
    approvals.do_submit_sector_version(sector.version, acting_user=browser_world.admin_user)
    task = SectorApproval.objects.get(partner__organisation=browser_world.landlord)
    keyboard_login(page, "landlord")
    page.goto(page.base_url + reverse("sector-inbox"))
    tab_to(page, f"#approval-{task.pk} textarea")
    page.keyboard.type("D'accord pour le balayage.")
    tab_to(page, f"#approval-{task.pk} button[value=approve]")
    page.keyboard.press("Enter")
    page.locator("main").get_by_text("Aucune validation ne vous attend").wait_for()
    task.refresh_from_db()
    assert (task.state, task.comment) == ("approved", "D'accord pour le balayage.")
