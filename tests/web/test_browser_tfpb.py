"""A landlord submits its TFPB programme and a partner approves it, in the browser, with axe-core."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from directory.models import PartnerReview
from tests.tfpb.builders import build_programme, build_tfpb
from tests.web.browser import assert_accessible, login, logout
from tfpb.models import Action, Programme, Status

pytestmark = pytest.mark.browser


def test_a_landlord_submits_its_programme_and_the_commune_approves_it(page, browser_world):
    tfpb = build_tfpb(browser_world)
    programme = build_programme(tfpb)
    login(page, "landlord")
    page.goto(page.base_url + reverse("tfpb-home"))
    page.get_by_role("link", name=str(programme.year)).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Programme 2025")
    expect(page.locator(".tfpb-coverage")).to_contain_text("Le programme couvre l'abattement attendu.")
    assert_accessible(page)
    page.get_by_role("button", name="Soumettre le programme aux partenaires").click()
    expect(page.locator(".messages, [role=status], .message").first).to_contain_text(
        "transmis aux partenaires"
    )
    expect(page.get_by_role("heading", level=1)).to_contain_text("En examen par les partenaires")
    assert_accessible(page)
    assert Programme.objects.get(pk=programme.pk).status == Status.IN_REVIEW

    logout(page)
    login(page, "commune")
    page.goto(page.base_url + reverse("tfpb-inbox"))
    assert_accessible(page)
    page.get_by_role("link", name="Répondre").first.click()
    page.get_by_label("Approuver").check()
    page.get_by_label("Commentaire").fill("Programme cohérent avec le diagnostic en marchant.")
    page.get_by_role("button", name="Envoyer la réponse").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Examens TFPB en attente")
    expect(page.get_by_text("Rien n'attend votre réponse.")).to_be_visible()
    assert_accessible(page)
    review = PartnerReview.objects.get(organisation=browser_world.commune)
    assert review.status == PartnerReview.Status.APPROVED
    assert review.answered_by == browser_world.commune_user


def test_a_landlord_places_an_action_on_the_map_then_changes_and_removes_actions(page, browser_world):
    tfpb = build_tfpb(browser_world)
    programme = build_programme(tfpb)
    login(page, "landlord")
    page.goto(page.base_url + reverse("tfpb-programme", args=[programme.pk]))
    picker = page.locator("[data-map][data-pick-lon]")
    expect(picker).to_have_attribute("data-map-loaded", "1")
    picker.click()  # the map opens on the QPV: its middle is inside it
    expect(page.get_by_label("Longitude")).not_to_have_value("")
    lat = float(page.get_by_label("Latitude").input_value())
    assert tfpb.world.qpv.min_lat <= lat <= tfpb.world.qpv.max_lat
    page.locator("#id_axis").select_option("waste")
    page.locator("#id_title").fill("Bacs de tri des encombrants")
    page.locator("#id_planned_amount_eur").fill("2 500,00")
    page.get_by_role("button", name="Ajouter l'action").click()
    expect(page.locator("#places-list")).to_contain_text("Bacs de tri des encombrants")
    expect(page.locator("[data-map][data-points]")).to_have_attribute("data-map-loaded", "1")
    assert_accessible(page)
    added = Action.objects.get(title="Bacs de tri des encombrants")
    assert added.location["type"] == "Point"

    page.get_by_role("link", name="Modifier ou supprimer « Bacs de tri des encombrants »").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bacs de tri des encombrants")
    assert_accessible(page)
    page.locator("#id_planned_amount_eur").fill("3 000")
    page.get_by_role("button", name="Enregistrer l’action").click()
    expect(page.locator(".messages, [role=status], .message").first).to_contain_text("modifiée")
    added.refresh_from_db()
    assert str(added.planned_amount_eur) == "3000.00"

    page.get_by_role("link", name="Modifier ou supprimer « Médiation de soirée »").click()
    page.get_by_role("button", name="Supprimer l’action").click()
    expect(page.locator(".messages, [role=status], .message").first).to_contain_text("supprimée")
    assert not programme.actions.filter(title="Médiation de soirée").exists()
