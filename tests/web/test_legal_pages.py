"""The legal pages (web/views_legal.py): public, in French and English, linked from every page's footer,
their contact details and retention periods read from the settings."""

import html
import re
from pathlib import Path

import pytest
from django.urls import reverse

BASE = Path(__file__).resolve().parents[2]
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
PAGES = {
    "legal-notice": ("Mentions légales", "Legal notice"),
    "personal-data": ("Données personnelles", "Personal data"),
    "accessibility": ("Déclaration d’accessibilité", "Accessibility statement"),
}


def text(response):
    return html.unescape(response.content.decode())


@pytest.mark.parametrize("name", sorted(PAGES))
def test_each_legal_page_is_public_in_french_and_in_english(client, db, name):
    french, english = PAGES[name]
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert f"<h1>{french}</h1>" in text(response)
    response = client.get(reverse(name), **EN)
    assert response.status_code == 200
    assert f"<h1>{english}</h1>" in text(response)
    assert french not in text(response)


def test_the_footer_of_the_login_page_and_of_a_logged_in_page_links_the_three_pages(client, world):
    pages = [client.get(reverse("login"))]
    client.force_login(world.commune_user)
    pages.append(client.get(reverse("home")))
    for response in pages:
        assert response.status_code == 200
        footer = text(response).split('<footer class="site-footer"', 1)[1].split("</footer>", 1)[0]
        links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', footer)
        assert links == [
            ("/mentions-legales/", "Mentions légales"),
            ("/donnees-personnelles/", "Données personnelles"),
            ("/accessibilite/", "Accessibilité : non conforme"),
        ]


def test_the_contact_details_come_from_the_settings_and_the_demo_values_say_so(client, db, settings):
    body = text(client.get(reverse("legal-notice")))
    assert settings.GUP_LEGAL_DEMO_VALUES is True
    assert "Valeurs de démonstration" in body and settings.GUP_CONTACT_EMAIL in body
    settings.GUP_PUBLISHER_NAME = "Communauté urbaine Grand Exemple"
    settings.GUP_PUBLISHER_ADDRESS = "2 place de la Mairie, 78200 Exemple"
    settings.GUP_CONTACT_EMAIL = "gup@grand-exemple.fr"
    settings.GUP_DPO_EMAIL = "dpo@grand-exemple.fr"
    settings.GUP_HOSTING_PROVIDER = "Hébergeur Réel SAS"
    settings.GUP_LEGAL_DEMO_VALUES = False
    notice = text(client.get(reverse("legal-notice")))
    assert "Communauté urbaine Grand Exemple" in notice and "2 place de la Mairie, 78200 Exemple" in notice
    assert 'href="mailto:gup@grand-exemple.fr"' in notice and "Hébergeur Réel SAS" in notice
    assert "Valeurs de démonstration" not in notice
    data = text(client.get(reverse("personal-data")))
    assert 'href="mailto:dpo@grand-exemple.fr"' in data
    assert "Le responsable du traitement est Communauté urbaine Grand Exemple." in data
    statement = text(client.get(reverse("accessibility")))
    assert 'href="mailto:gup@grand-exemple.fr"' in statement


def test_the_personal_data_page_states_the_retention_configured_and_what_is_never_deleted(
    client, db, settings
):
    settings.LOGIN_FAILURE_WINDOW_SECONDS = 1800
    settings.SESSION_COOKIE_AGE = 3 * 3600
    settings.GUP_AUTO_CLOSE_DAYS = 7
    settings.GUP_PERSONAL_DATA_RETENTION_DAYS = 1000
    body = text(client.get(reverse("personal-data")))
    assert "Compteurs d’échecs de connexion : 30 minutes à partir du premier échec." in body
    assert "Session connectée : se termine après 3 heures sans activité." in body
    assert "Une demande marquée terminée est clôturée après 7 jours." in body
    assert "anonymisées 1000 jours après la clôture" in body
    assert "Les comptes ne sont jamais supprimés automatiquement" in body
    assert "mission d’intérêt public" in body
    settings.LOGIN_MAX_FAILURES = settings.LOGIN_MAX_FAILURES_PER_ADDRESS = 0
    body = text(client.get(reverse("personal-data"), **EN))
    assert "Login-failure counters: none (the login limits are turned off)." in body


def test_the_accessibility_statement_says_not_compliant_the_tests_and_the_remedy(client, db):
    body = text(client.get(reverse("accessibility")))
    assert "GUP est non conforme avec le RGAA" in body
    assert "Aucun audit RGAA n’a encore été réalisé" in body
    assert "axe-core" in body and "Défenseur des droits" in body


def test_the_readme_documents_every_legal_setting_read_from_the_environment():
    settings_source = (BASE / "gup" / "settings.py").read_text()
    legal = r'env_str\(\s*"(GUP_(?:PUBLISHER|PUBLICATION|CONTACT|DPO|HOSTING)[A-Z_]*)"'
    names = set(re.findall(legal, settings_source))
    assert len(names) == 6
    readme = (BASE / "README.md").read_text()
    table = readme[readme.index("## Configuration") :]
    table = table[: table.index("\n\n", table.index("| variable |"))]
    documented = set(re.findall(r"`([A-Z0-9_]+)`", table))
    assert sorted(names - documented) == []
