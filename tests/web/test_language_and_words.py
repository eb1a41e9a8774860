"""The pages in the language chosen with the switcher (categories, criteria, attributes, choices and states
in English when the data has English labels, the commune's messages in French), the history without no-op
lines and with people's names, the urgency check's words, the admin's header and the diagram's labels."""

import html

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from engine.models import ProcedureVersion
from procedures import actions
from procedures.models import CategoryAttribute, UrgencyCriterion
from tests.factories import POINT_IN_COMMUNE_1, POINT_IN_QPV


@pytest.fixture
def bilingual(world, procedure, category):
    """The web tests' category with English labels for itself, its criterion, attribute and choices."""
    category.name, category.name_en = "Encombrants", "Bulky items"
    category.save()
    UrgencyCriterion.objects.filter(category=category).update(
        label="Danger pour les passants", label_en="Danger to passers-by"
    )
    CategoryAttribute.objects.filter(category=category, code="access").update(
        label="Accès bloqué",
        label_en="Access blocked",
        choices=["trottoir", "chaussée", "aucun"],
        choice_labels_en={"trottoir": "pavement", "chaussée": "road", "aucun": "none"},
    )
    CategoryAttribute.objects.filter(category=category, code="volume").update(
        label="Volume (m³)", label_en="Volume (cubic metres)"
    )
    for user, (first, last) in [
        (world.ctc_agent, ("Camille", "Martin")),
        (world.ctc_lead, ("Dominique", "Petit")),
        (world.commune_user, ("Alix", "Durand")),
    ]:
        user.first_name, user.last_name = first, last
        user.save()
    return category


def choose(client, language):
    """What the language switcher does: POST /i18n/setlang/, which sets the language cookie."""
    response = client.post(reverse("set_language"), {"language": language, "next": "/"})
    assert response.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == language


def filed(world, category, point=POINT_IN_COMMUNE_1, **extra):
    return actions.do_file_request(
        acting_user=world.commune_user,
        category=category,
        description="Un matelas sur le trottoir",
        lon=point[0],
        lat=point[1],
        attributes={"access": "trottoir", "volume": 2},
        **extra,
    )


def page(client, user, request):
    client.force_login(user)
    response = client.get(reverse("request-detail", args=[request.reference]))
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def test_the_filing_form_speaks_english_once_english_is_chosen_and_french_otherwise(client, world, bilingual):
    client.force_login(world.commune_user)
    url = reverse("request-new") + "?category=encombrants"
    french = client.get(url).content.decode()
    assert "Encombrants" in french and "Danger pour les passants" in french and "Accès bloqué" in french
    assert ">trottoir</option>" in french and ">pavement</option>" not in french
    choose(client, "en")
    english = client.get(url).content.decode()
    assert '<html lang="en">' in english
    assert "Bulky items" in english and "Encombrants" not in english
    assert "Danger to passers-by" in english and "Danger pour les passants" not in english
    assert "Access blocked" in english and "Volume (cubic metres)" in english
    assert ">pavement</option>" in english and ">road</option>" in english
    assert ">trottoir</option>" not in english  # the stored value stays, the label is English


def test_the_request_page_shows_english_labels_and_the_commune_s_french_messages(client, world, bilingual):
    request = filed(world, bilingual)
    client.force_login(world.commune_user)
    choose(client, "en")
    english = page(client, world.commune_user, request)
    assert "Bulky items" in english and "Submitted" in english
    assert "Access blocked" in english and "pavement" in english
    # messages to the commune stay in the language of the commune's users
    assert f"Votre demande {request.reference} a été déposée." in english
    choose(client, "fr")
    french = page(client, world.commune_user, request)
    assert "Encombrants" in french and "Déposée" in french and "Accès bloqué" in french
    assert "trottoir" in french and "Bulky items" not in french


def test_the_commune_does_not_see_the_routing_rule_s_technical_wording_but_staff_do(client, world, bilingual):
    request = filed(world, bilingual)
    commune_page = page(client, world.commune_user, request)
    assert "règle d'aiguillage" not in commune_page
    assert request.routing_explanation not in commune_page
    assert "le centre technique de Commune Une, examine la demande" in commune_page
    staff_page = page(client, world.ctc_agent, request)
    assert "Pourquoi ce service (règle d'aiguillage)" in staff_page


def test_the_history_has_no_no_op_lines_and_says_who_by_name_and_from_which_unit_to_which(
    client, world, bilingual
):
    request = filed(world, bilingual)  # no unit is competent: the CTC qualifies it
    actions.do_transition_request(request, "acknowledge", acting_user=world.ctc_agent)
    actions.do_transition_request(
        request, "qualify", acting_user=world.ctc_agent, fields={"handler_unit": world.waste.pk}
    )
    body = page(client, world.ctc_lead, request)
    history = body[body.index('id="audit-title"') :]
    assert "Déposée : — → Déposée" not in history and "— →" not in history
    assert "Déposée → Déposée" not in history and "Prise en compte → Prise en compte" not in history
    assert "Prendre en compte : Déposée → Prise en compte" in history
    assert "Changement de service : de CTC Un à Déchets" in history
    assert "Camille Martin" in history and "Alix Durand" in history
    assert "· ctc ·" not in history and "· commune ·" not in history


def test_the_qualify_form_lists_agents_by_their_full_name(client, world, bilingual):
    request = filed(world, bilingual)
    actions.do_transition_request(request, "acknowledge", acting_user=world.ctc_agent)
    body = page(client, world.ctc_lead, request)
    options = body[body.index('name="t-qualify-handler_agent"') :]
    options = options[: options.index("</select>")]
    assert ">Camille Martin</option>" in options and ">Dominique Petit</option>" in options
    assert ">ctc</option>" not in options


def test_the_urgency_check_uses_words_that_cannot_be_read_both_ways(client, world, bilingual):
    # in a QPV: the DVQ sees it
    request = filed(world, bilingual, point=POINT_IN_QPV, urgency="urgent", urgency_criteria=["danger"])
    before = page(client, world.dvq_officer, request)
    assert "Émettre l'alerte" in before and "Lever" not in before
    actions.do_raise_urgency_alert(request, acting_user=world.dvq_officer, reason="Quel danger ?")
    after = page(client, world.dvq_officer, request)
    assert "Émise" in after and "levée" not in after.lower()
    assert "Classer l'alerte sans suite : l'urgence est justifiée" in after
    assert "Confirmer l'alerte : l'urgence n'est pas justifiée (elle est retirée)" in after
    actions.do_dismiss_urgency_alert(request, acting_user=world.dvq_officer)
    closed = page(client, world.dvq_officer, request)
    assert "alerte classée sans suite, l'urgence est maintenue" in closed


# --- admin -------------------------------------------------------------------------------------------
def test_the_admin_has_the_platform_s_header_in_french_and_in_english(client, world):
    client.force_login(world.admin_user)
    french = client.get(reverse("admin:index")).content.decode()
    assert "GUP — administration" in french and "Administration de Django" not in french
    assert "<title>Données et réglages de la plateforme | Administration de GUP</title>" in french
    choose(client, "en")
    english = client.get(reverse("admin:index")).content.decode()
    assert "GUP — administration" in english and "Django administration" not in english


def test_the_admin_s_diagram_labels_its_arrows_in_the_page_s_language(client, world, procedure):
    version = ProcedureVersion.objects.filter(procedure__code="intervention-request").order_by("-number")[0]
    client.force_login(world.admin_user)
    url = reverse("admin:engine_procedureversion_change", args=[version.pk])
    french = client.get(url).content.decode()
    assert ">Prendre en compte</text>" in french and ">Démarrer l&#x27;intervention</text>" in french
    assert ">acknowledge</text>" not in french and ">start_work</text>" not in french
    assert "submitted --&gt; acknowledged: Prendre en compte (" in french
    choose(client, "en")
    english = client.get(url).content.decode()
    assert ">Acknowledge</text>" in english and ">Start the work</text>" in english


def test_a_version_reads_its_status_in_the_admin_s_language(world, procedure):
    version = ProcedureVersion.objects.filter(procedure__code="intervention-request").order_by("-number")[0]
    with translation.override("fr"):
        assert str(version) == f"intervention-request v{version.number} (publiée)"
    with translation.override("en"):
        assert str(version) == f"intervention-request v{version.number} (published)"
