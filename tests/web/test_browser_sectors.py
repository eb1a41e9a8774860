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

    page.locator(f"#approval-{task.pk}").get_by_role("button", name="Approuver").click()
    expect(page.locator("main")).to_contain_text("Aucune validation ne vous attend")
    task.refresh_from_db()
    assert task.state == "approved"

    page.goto(page.base_url + reverse("sector-detail", args=["vf-nord"]))
    expect(page.locator(".leaflet-container")).to_be_visible()
    expect(page.locator(".leaflet-interactive").first).to_be_visible()
    expect(page.locator("table").filter(has_text="Balayage deux fois par semaine")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "sector-detail")


def test_an_administrator_creates_a_sub_sector_procedure_by_drawing_its_perimeter(
    page, browser_world, procedure
):
    from procedures.sectors.models import SectorProcedure

    world = browser_world
    login(page, "admin")
    page.goto(page.base_url + reverse("sector-new"))
    map_box = page.locator("#sector-draw-map")
    expect(map_box.locator(".leaflet-overlay-pane path").first).to_be_visible()
    assert_accessible(page)
    page.fill("#id_code", "dessine")
    page.fill("#id_title", "Secteur dessiné (fictif)")
    page.fill("#id_starts_on", "2026-03-02")
    page.select_option("#id_evaluation_month", "3")
    page.select_option("#id_referents", [str(world.landlord_agent.pk), str(world.commune_user.pk)])
    page.locator(".leaflet-draw-draw-rectangle").click()
    box = map_box.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x - 40, y - 30)
    page.mouse.down()
    page.mouse.move(x + 40, y + 30, steps=5)
    page.mouse.up()
    expect(page.locator("#id_geometry")).not_to_have_value("")
    page.get_by_role("button", name="Créer le brouillon").click()
    expect(page.locator("h1")).to_contain_text("Secteur dessiné (fictif)")
    version = SectorProcedure.objects.get(code="dessine").versions.get()
    assert version.perimeter_source == "drawn" and version.area_m2 > 0
    assert_accessible(page)
    screenshot(page, "sector-drawn")


def test_an_administrator_groups_perimeters_for_the_clect_and_reads_their_figures(page, browser_world):
    from procedures.sectors import clect
    from procedures.sectors.clect_models import ClectMembership

    world = browser_world
    other = clect.do_create_clect_group(acting_user=world.admin_user, code="autre", name="Autre groupe")
    clect.do_add_clect_member(
        other, acting_user=world.admin_user, perimeter=world.qpv, starts_on="2026-01-01"
    )
    login(page, "admin")
    page.goto(page.base_url + reverse("sector-clect-list"))
    assert_accessible(page)
    page.fill("#id_code", "clect-mantois")
    page.fill("#id_name", "Mantois (fictif)")
    page.get_by_role("button", name="Créer le groupe").click()
    expect(page.locator("h1")).to_have_text("Mantois (fictif)")
    page.select_option("#id_add-perimeter", str(world.qpv.pk))
    page.fill("#id_add-starts_on", "2026-03-01")
    page.get_by_role("button", name="Ajouter au groupe").click()
    expect(page.locator("#id_add-perimeter-errors")).to_contain_text("fait déjà partie du groupe CLECT")
    assert_accessible(page)
    membership = ClectMembership.objects.get(group=other)
    clect.do_end_clect_membership(membership, acting_user=world.admin_user, ends_on="2026-02-28")
    page.select_option("#id_add-perimeter", str(world.qpv.pk))
    page.fill("#id_add-starts_on", "2026-03-01")
    page.get_by_role("button", name="Ajouter au groupe").click()
    expect(page.locator("table").filter(has_text="Jours comptés")).to_contain_text("QPV Un")
    expect(page.get_by_role("link", name="CSV")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "sector-clect-detail")


def test_an_administrator_draws_a_zone_and_adds_a_split_row_on_the_editing_page(
    page, browser_world, procedure
):
    sector = build_draft(make_sector_world(browser_world))
    world = browser_world
    login(page, "admin")
    page.goto(page.base_url + reverse("sector-version-edit", args=["vf-nord", 1]))
    map_box = page.locator("#zone-draw-map")
    expect(map_box.locator(".leaflet-overlay-pane path").first).to_be_visible()  # the perimeter, as context
    assert_accessible(page)
    page.fill("#id_zone-name", "Square central (fictif)")
    map_box.scroll_into_view_if_needed()
    map_box.locator(".leaflet-draw-draw-rectangle").click()
    box = map_box.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x - 30, y - 20)
    page.mouse.down()
    page.mouse.move(x + 30, y + 20, steps=5)
    page.mouse.up()
    expect(page.locator("#id_zone-geometry")).not_to_have_value("")
    page.get_by_role("button", name="Ajouter la zone").click()
    expect(page.locator("#zone-title + table")).to_contain_text("Square central (fictif)")
    zone = sector.version.zones.get(name="Square central (fictif)")
    assert zone.area_m2 > 0

    page.select_option("#id_split-category", str(sector.lighting.pk))
    page.select_option("#id_split-zone", str(zone.pk))
    page.select_option("#id_split-unit", str(world.ctc_2.pk))  # nobody works there
    page.get_by_role("button", name="Ajouter la ligne").click()
    expect(page.locator("#id_split-unit-errors")).to_contain_text("n'a personne pour intervenir")
    assert_accessible(page)
    screenshot(page, "sector-edit-error")
    page.select_option("#id_split-unit", str(world.ctc.pk))
    page.fill("#id_split-what", "Réparation des lampadaires du square")
    page.get_by_role("button", name="Ajouter la ligne").click()
    expect(page.locator("#split-title + table")).to_contain_text("Réparation des lampadaires du square")
    assert sector.version.split_rows.filter(zone=zone, unit=world.ctc).exists()
