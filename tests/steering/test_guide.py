"""The DVQ's guide: Markdown rendered without raw HTML, versions kept and readable, search, and the
"how to" links next to a step, a category or an urgency criterion."""

import html

import pytest
from django.template import Context, Template

from engine.errors import InvalidFields, RoleNotAllowed
from procedures.models import UrgencyCriterion
from steering import actions
from steering.guide import render
from steering.models import GuidePage
from tests.factories import make_category
from tests.steering.conftest import audit_events

pytestmark = pytest.mark.django_db


def test_markdown_is_rendered_without_raw_html_nor_script_links():
    out = str(
        render("# Titre\n\n<script>alert(1)</script> **gras** [x](javascript:alert(1)) [ok](https://ex.org)")
    )
    assert "<h1>Titre</h1>" in out and "<strong>gras</strong>" in out
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert 'href="javascript:' not in out and 'href="https://ex.org"' in out


def test_a_guide_page_keeps_its_versions_and_is_searchable(people, now, client):
    page = actions.do_save_guide_page(
        slug="qualifier-urgence",
        title="Qualifier une urgence",
        body="Première version.",
        acting_user=people.dvq_officer,
    )
    actions.do_save_guide_page(
        page=page,
        slug="qualifier-urgence",
        title="Qualifier une urgence",
        body="Deuxième **version**.",
        acting_user=people.dvq_officer,
    )
    with pytest.raises(InvalidFields) as refused:
        actions.do_save_guide_page(slug="Pas Bon", title="", body="x", acting_user=people.dvq_officer)
    assert set(refused.value.errors) == {"slug", "title"}
    with pytest.raises(RoleNotAllowed):
        actions.do_save_guide_page(slug="autre", title="Autre", body="x", acting_user=people.commune_user)
    assert GuidePage.objects.get().version == 2 and audit_events() == [
        "guide_page_created",
        "guide_page_changed",
    ]
    client.force_login(people.commune_user)  # readable by every user
    current = html.unescape(client.get("/guide/qualifier-urgence/").content.decode())
    assert "<strong>version</strong>" in current and "Version 2" in current
    old = html.unescape(client.get("/guide/qualifier-urgence/versions/1/").content.decode())
    assert "Première version." in old and "pas forcément le texte en vigueur" in old
    assert client.get("/guide/qualifier-urgence/versions/9/").status_code == 404
    assert "Qualifier une urgence" in client.get("/guide/?q=deuxième").content.decode()
    assert "Aucune page ne correspond" in html.unescape(client.get("/guide/?q=introuvable").content.decode())


def test_how_to_links_appear_next_to_a_step_a_category_and_an_urgency_criterion(people, now):
    category = make_category("encombrants", name="Encombrants")
    criterion = UrgencyCriterion.objects.create(category=category, code="danger", label="Danger")
    actions.do_save_guide_page(
        slug="encombrants",
        title="Traiter les encombrants",
        body="…",
        categories=[category],
        urgency_criteria=[criterion],
        steps=["qualification"],
        acting_user=people.dvq_officer,
    )
    template = Template(
        "{% load steering_guide %}[{% guide_for_step state %}][{% guide_for_category category %}]"
        "[{% guide_for_criterion criterion %}][{% guide_for_step 'closed' %}]"
    )
    out = template.render(Context({"state": "qualification", "category": category, "criterion": criterion}))
    assert out.count('href="/guide/encombrants/"') == 3 and out.endswith("[]")
