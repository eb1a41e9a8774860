"""The recommendations to urban-renewal teams as a PDF (WeasyPrint): its text read back with pypdf,
grouped by addressee, one team's document, and only what the reader may see."""

import io

import pytest
from pypdf import PdfReader

from steering import actions

pytestmark = pytest.mark.django_db


def pdf_text(response):
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


@pytest.fixture
def recommendations(people, now):
    in_qpv = actions.do_create_recommendation(
        qpv=people.qpv,
        issue="Bacs débordants au pied des immeubles",
        recommendation="Prévoir un local à déchets par bâtiment",
        source="Diagnostic en marchant",
        acting_user=people.dvq_officer,
    )
    actions.do_answer_recommendation(
        in_qpv, status="taken", answer="Intégré au plan masse", acting_user=people.dvq_officer
    )
    project = actions.do_create_recommendation(
        project="NPNRU Val Fourré",
        issue="Cheminements piétons sombres",
        recommendation="Éclairer les traversées du parc",
        acting_user=people.dvq_officer,
    )
    return in_qpv, project


def test_the_pdf_holds_every_recommendation_grouped_by_addressee(people, client, recommendations):
    client.force_login(people.dvq_officer)
    response = client.get("/steering/recommendations.pdf")
    assert response["Content-Disposition"] == 'attachment; filename="preconisations.pdf"'
    text = pdf_text(response)
    assert "Préconisations aux équipes du renouvellement urbain" in text
    assert "2 préconisations, au 1 octobre 2026." in text
    assert text.index("NPNRU Val Fourré") < text.index("Éclairer les traversées du parc")
    assert text.index("QPV Un") < text.index("Prévoir un local à déchets par bâtiment")
    assert "Prise en compte" in text
    assert "Intégré au plan masse" in text and "Diagnostic en marchant" in text
    page = client.get("/steering/recommendations/").content.decode()
    assert 'href="/steering/recommendations.pdf?qpv=qpv-1"' in page
    assert 'href="/steering/recommendations.pdf?project=NPNRU+Val+Fourr%C3%A9"' in page


def test_one_teams_document_holds_only_its_recommendations(people, client, recommendations):
    client.force_login(people.dvq_officer)
    response = client.get("/steering/recommendations.pdf", {"project": "NPNRU Val Fourré"})
    assert response["Content-Disposition"] == 'attachment; filename="preconisations-npnru-val-fourre.pdf"'
    text = pdf_text(response)
    assert "Préconisations à l’équipe de NPNRU Val Fourré" in text and "1 préconisation," in text
    assert "Éclairer les traversées du parc" in text and "Prévoir un local" not in text
    text = pdf_text(client.get("/steering/recommendations.pdf", {"qpv": "qpv-1"}))
    assert "Prévoir un local à déchets par bâtiment" in text and "Éclairer" not in text


def test_a_commune_gets_only_the_recommendations_of_its_territory(people, client, recommendations):
    client.force_login(people.commune_user)  # QPV Un is in its commune; the project names no QPV
    text = pdf_text(client.get("/steering/recommendations.pdf"))
    assert "Prévoir un local à déchets par bâtiment" in text and "Éclairer" not in text
    client.force_login(people.commune_2_user)
    text = pdf_text(client.get("/steering/recommendations.pdf", {"qpv": "qpv-1"}))
    assert "Prévoir un local" not in text and "Aucune préconisation pour l'instant." in text


def test_the_pdf_is_in_english_for_an_english_reader(people, client, recommendations):
    client.force_login(people.dvq_officer)
    client.cookies["django_language"] = "en"
    text = pdf_text(client.get("/steering/recommendations.pdf"))
    assert "Recommendations to urban-renewal teams" in text and "Management issue" in text
