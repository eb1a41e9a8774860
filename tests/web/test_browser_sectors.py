"""Sub-sector procedures in a real browser: a partner's approval from the inbox (the error of a request
for changes without a comment, then the approval), and the procedure's page with its map and split
table; axe-core on each page."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from procedures.sectors import approvals
from procedures.sectors.models import SectorApproval
from tests.sectors.conftest import build_draft, make_sector_world
from tests.web.browser import assert_accessible, login, screenshot

pytestmark = pytest.mark.browser


def test_a_partner_approves_a_sub_sector_procedure_from_its_inbox(page, browser_world, procedure):
    sector = build_draft(make_sector_world(browser_world))
    approvals.do_submit_sector_version(sector.version, acting_user=browser_world.admin_user)
    task = SectorApproval.objects.get(partner__organisation=browser_world.landlord)

    login(page, "landlord")
    page.goto(page.base_url + reverse("sector-inbox"))
    section = page.locator(f"#approval-{task.pk}")
    expect(section).to_contain_text("Secteur nord du Val")
    assert_accessible(page)
    section.get_by_role("button", name="Demander des modifications").click()
    expect(page.locator(".errorlist")).to_contain_text("Indiquez ce qui doit changer")
    assert_accessible(page)
    screenshot(page, "sector-inbox-error")

    page.locator(f"#approval-{task.pk}").get_by_role("button", name="Valider").click()
    expect(page.locator("main")).to_contain_text("Aucune validation ne vous attend")
    task.refresh_from_db()
    assert task.state == "approved"

    page.goto(page.base_url + reverse("sector-detail", args=["vf-nord"]))
    expect(page.locator(".leaflet-container")).to_be_visible()
    expect(page.locator(".leaflet-interactive").first).to_be_visible()
    expect(page.locator("table").filter(has_text="Balayage deux fois par semaine")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "sector-detail")
