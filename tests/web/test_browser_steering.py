"""Browser tests of the steering pages: the questionnaire answered on a phone-sized screen, and the
follow-up list filtered, both checked with axe-core."""

import pytest
from playwright.sync_api import expect

from steering.models import QuestionnaireResponse
from tests.web.browser import assert_accessible, login
from tests.web.steering_pages import steering_data

pytestmark = pytest.mark.browser


def test_a_commune_answers_the_questionnaire_on_a_phone(page, browser_world):
    ids = steering_data({})
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, "commune")
    page.goto(page.base_url + f"/steering/meetings/{ids['meeting']}/")
    page.get_by_role("link", name="Répondre au questionnaire « État des lieux »").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("État des lieux")
    assert_accessible(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    page.get_by_label("Nombre de dépôts signalés par mois").fill("beaucoup")
    page.get_by_role("button", name="Transmettre mes réponses").click()
    expect(page.locator(".errorlist").first).to_contain_text("indiquez un nombre")
    assert_accessible(page)  # the error state
    page.get_by_label("Nombre de dépôts signalés par mois").fill("12,5")
    page.get_by_label("Mensuelle").check()
    page.get_by_label("Accès").check()
    page.get_by_label("Tri").check()
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(page.get_by_text("Votre brouillon est enregistré.")).to_be_visible()
    expect(page.get_by_label("Nombre de dépôts signalés par mois")).to_have_value("12.5")
    page.get_by_role("button", name="Transmettre mes réponses").click()
    expect(page.get_by_text("Vos réponses sont transmises.")).to_be_visible()
    response = QuestionnaireResponse.objects.get()
    values = list(response.answers.values())
    assert (
        response.status == "submitted"
        and ["Accès", "Tri"] in values
        and "12.5" in values
        and "Mensuelle" in values
    )
    assert_accessible(page)
    assert not page.csp_violations


def test_the_follow_up_list_filters_the_overdue_actions(page, browser_world):
    steering_data({})
    login(page, "dvq")
    page.goto(page.base_url + "/steering/actions/")
    rows = page.locator("#actions tbody tr")
    expect(rows).to_have_count(2)
    assert_accessible(page)
    page.get_by_label("En retard seulement").check()
    page.get_by_role("button", name="Filtrer").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Relancer le bailleur")
    expect(rows.first).to_contain_text("En retard")
    rows.first.get_by_role("link", name="Relancer le bailleur").click()
    page.get_by_label("Nouveau statut").select_option("abandoned")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".errorlist").first).to_contain_text("Indiquez pourquoi l'action est abandonnée.")
    assert_accessible(page)
    page.get_by_label("Motif (obligatoire pour abandonner)").fill("Le bailleur a déjà agi.")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Le statut de l'action est modifié.")).to_be_visible()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(page.base_url + "/steering/actions/?status=all")
    expect(rows).to_have_count(2)
    assert_accessible(page)
    assert not page.csp_violations


def test_the_organiser_finds_invitees_by_typing_in_the_picker(page, browser_world):
    from steering.models import Invitation, Meeting
    from tests.steering.conftest import ensure_meeting_kinds

    ensure_meeting_kinds()
    world = browser_world
    for user, (first, last) in {
        world.commune_user: ("Camille", "Martin"),
        world.commune_2_user: ("Camille", "Durand"),
        world.ctc_agent: ("Hugo", "Martinez"),
    }.items():
        user.first_name, user.last_name = first, last
        user.save(update_fields=["first_name", "last_name"])
    login(page, "dvq")
    page.goto(page.base_url + "/steering/meetings/new/")
    people = page.locator(".picker-list li:visible")
    total = people.count()
    assert total >= 6
    assert_accessible(page)
    page.get_by_label("Trouver des personnes à inviter").fill("martin")
    expect(people).to_have_count(2)  # filtered as one types, accents and case aside
    expect(page.get_by_role("status")).to_have_text("2 personne(s) de la liste correspondent.")
    page.get_by_label("Camille Martin (Commune Une)").check()
    page.get_by_label("Trouver des personnes à inviter").fill("durand")
    expect(people).to_have_count(2)  # the ticked person stays
    page.get_by_label("Camille Durand (Commune Deux)").check()
    page.get_by_label("Trouver des personnes à inviter").fill("zzz")
    expect(people).to_have_count(2)
    page.get_by_label("Trouver des personnes à inviter").fill("xyz-personne")
    page.get_by_label("Trouver des personnes à inviter").press("Enter")  # filters, sends nothing
    expect(people).to_have_count(2)
    assert_accessible(page)
    assert not Meeting.objects.filter(title="Comité technique de printemps").exists()
    page.get_by_label("Type de réunion").select_option(label="Comité technique")
    page.get_by_label("Titre").fill("Comité technique de printemps")
    page.get_by_label("Début (date et heure)").fill("2030-04-02T14:00")
    page.get_by_label("Fin (date et heure)").fill("2030-04-02T16:00")
    page.get_by_label("Trouver des personnes à inviter").fill("")
    page.get_by_role("button", name="Chercher les personnes à inviter").click()  # the server's search
    expect(page.get_by_label("Titre")).to_have_value("Comité technique de printemps")
    expect(page.get_by_label("Camille Durand (Commune Deux)")).to_be_checked()
    page.get_by_label("Lieu").fill("Hôtel communautaire")
    page.get_by_label("Lieu").press("Enter")  # Enter in a field sends the form as its main button does
    expect(page.get_by_role("heading", level=1)).to_contain_text("Comité technique de printemps")
    meeting = Meeting.objects.get(title="Comité technique de printemps")
    invited = set(Invitation.objects.filter(meeting=meeting).values_list("person__username", flat=True))
    assert invited == {"commune", "commune-2"}
    assert not page.csp_violations


def test_the_organisers_new_steering_pages_pass_axe_and_work(page, browser_world, tmp_path, settings):
    """The agenda item form, the document upload, the links of an action and the observation topics."""
    settings.MEDIA_ROOT = tmp_path
    from steering.models import AgendaItem, MeetingDocument

    ids = steering_data({})
    login(page, "dvq")
    base = page.base_url + f"/steering/meetings/{ids['meeting']}/"
    page.goto(base)
    page.get_by_role("link", name="Modifier Tour de table").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Modifier un point de l’ordre du jour")
    assert_accessible(page)
    page.get_by_label("Point de l’ordre du jour").fill("Tour de table des communes")
    page.get_by_role("button", name="Enregistrer le point").click()
    expect(page.get_by_text("Le point de l’ordre du jour est modifié.")).to_be_visible()
    assert AgendaItem.objects.get(pk=ids["agenda_item"]).title == "Tour de table des communes"
    page.get_by_role("link", name="Ajouter un document").click()
    assert_accessible(page)
    page.get_by_label("Fichier").set_input_files(
        files=[{"name": "diaporama.pdf", "mimeType": "application/pdf", "buffer": b"PK\x03\x04 not a pdf"}]
    )
    page.get_by_role("button", name="Ajouter le document").click()
    expect(page.locator(".errorlist").first).to_contain_text("diaporama.pdf")
    assert_accessible(page)  # the error state
    assert not MeetingDocument.objects.exists()
    page.goto(base + "observation-topics/")
    expect(page.get_by_text("Aucune baisse dans les chiffres à suggérer.")).to_be_visible()
    assert_accessible(page)
    page.goto(page.base_url + f"/steering/actions/{ids['action']}/")
    page.get_by_role("link", name="Relier des demandes et des procédures").click()
    assert_accessible(page)
    page.get_by_label("Demandes à relier").fill("DI-1999-000001")
    page.get_by_role("button", name="Enregistrer les liens").click()
    expect(page.locator(".errorlist").first).to_contain_text("Demande inconnue : DI-1999-000001.")
    assert_accessible(page)
    page.goto(base)
    page.get_by_role("button", name="Retirer de l’ordre du jour Tour de table des communes").click()
    expect(page.get_by_text("« Tour de table des communes » est retiré de l’ordre du jour.")).to_be_visible()
    assert not AgendaItem.objects.filter(pk=ids["agenda_item"]).exists()
    assert not page.csp_violations
