"""The language switcher in a real browser: once English is chosen, the filing form's category, urgency
criterion, attribute and choices come in English (the htmx fragment too), the request page too, while
the messages to the commune stay in French."""

import pytest
from django.urls import reverse

from procedures import actions
from procedures.models import CategoryAttribute, UrgencyCriterion
from tests.factories import POINT_IN_QPV
from tests.web.browser import assert_accessible, login, screenshot

pytestmark = pytest.mark.browser


def test_a_commune_user_switches_to_english_and_reads_the_form_and_the_request_in_english(
    page, browser_world, procedure, category
):
    category.name, category.name_en = "Encombrants", "Bulky items"
    category.save()
    UrgencyCriterion.objects.filter(category=category).update(
        label="Danger pour les passants", label_en="Danger to passers-by"
    )
    CategoryAttribute.objects.filter(category=category, code="access").update(
        label="Accès bloqué", label_en="Access blocked", choice_labels_en={"pavement": "Pavement (footway)"}
    )
    filed = actions.do_file_request(
        acting_user=browser_world.commune_user,
        category=category,
        description="Un canapé sur le trottoir",
        lon=POINT_IN_QPV[0],
        lat=POINT_IN_QPV[1],
        attributes={"access": "pavement"},
    )
    login(page, "commune")
    page.get_by_role("button", name="English").click()  # the other language, named in itself
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"

    page.goto(page.base_url + reverse("request-new"))
    page.select_option("#id_category", "encombrants")
    page.get_by_text("Danger to passers-by").wait_for()
    form = page.locator("main").inner_text()
    assert "Bulky items" in form and "Access blocked" in form
    assert "Pavement (footway)" in page.locator("main").inner_html()
    assert "Encombrants" not in form and "Accès bloqué" not in form

    page.goto(page.base_url + reverse("request-detail", args=[filed.reference]))
    text = page.locator("main").inner_text()
    assert "Bulky items" in text and "Submitted" in text and "Pavement (footway)" in text
    assert f"Votre demande {filed.reference} a été déposée." in text  # the commune's messages: French
    screenshot(page, "request-in-english")
    assert_accessible(page)
