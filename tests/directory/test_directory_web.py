"""Directory pages: who to call for what, where; organisation chart; referent card; CSV and XLSX exports."""

import csv
import io

import pytest
from openpyxl import load_workbook

from directory.models import Competence, Referent
from tests.factories import make_category


@pytest.fixture
def directory(world):
    tags = make_category(code="tags", name="Tags et graffitis")
    waste = make_category(code="encombrants", name="Encombrants")
    Competence.objects.create(unit=world.ctc, category=tags)
    Competence.objects.create(unit=world.ctc_2, category=tags)
    Competence.objects.create(unit=world.waste, category=waste, direct_handling=True)
    world.ctc.phone, world.ctc.opening_hours = "01 30 00 00 01", "lun.-ven. 8h-17h"
    world.ctc.save()
    person = Referent.objects.create(
        organisation=world.cu, unit=world.ctc, first_name="Nadia", last_name="Roux", function="ctc_contact",
        title="Responsable", email="nadia@example.org", phone="0601",
    )  # fmt: skip
    Referent.objects.create(
        organisation=world.commune, first_name="Camille", last_name="Martin", function="gup_referent"
    )
    return person


@pytest.fixture
def browser(client, world):
    client.force_login(world.commune_user)
    return client


def test_the_directory_lists_who_handles_each_category_in_a_commune(browser, world, directory):
    response = browser.get("/directory/", {"commune": world.commune_2.pk})
    assert response.status_code == 200
    rows = [(row["category"].code, row["unit"].code) for row in response.context["rows"]]
    assert rows == [("encombrants", "waste"), ("tags", "ctc-2")]
    html = response.content.decode()
    assert '<label for="directory-commune">' in html and '<th scope="col">' in html


def test_the_directory_filters_by_category_and_by_name(browser, world, directory):
    response = browser.get("/directory/", {"category": "tags"})
    assert [row["unit"].code for row in response.context["rows"]] == ["ctc-2", "ctc-1"]  # by unit name
    response = browser.get("/directory/", {"q": "roux"})
    assert [row["unit"].code for row in response.context["rows"]] == ["ctc-1"]
    assert [p.last_name for p in response.context["referents"]] == ["Roux"]
    assert "Nadia Roux" in response.content.decode()


def test_the_directory_exports_the_search_as_csv_and_xlsx(browser, world, directory):
    response = browser.get("/directory/", {"commune": world.commune.pk, "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert len(lines) == 3  # header + encombrants + tags (CTC Un)
    assert lines[2][1] == "CTC Un" and lines[2][6] == "01 30 00 00 01" and "Nadia Roux" in lines[2][9]
    response = browser.get("/directory/", {"commune": world.commune.pk, "format": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == 3 and values[2][1] == "CTC Un" and values[1][5] in ("oui", "yes")


def test_the_organisation_chart_shows_the_units_tree_with_referents(browser, world, directory):
    world.ctc.parent = world.dvq
    world.ctc.save()
    response = browser.get(f"/directory/organisations/{world.cu.code}/")
    assert response.status_code == 200
    tree = response.context["tree"]
    roots = [node["unit"].code for node in tree]
    assert "dvq" in roots and "ctc-1" not in roots
    dvq = next(node for node in tree if node["unit"].code == "dvq")
    assert [child["unit"].code for child in dvq["children"]] == ["ctc-1"]
    html = response.content.decode()
    assert 'id="unit-ctc-1"' in html and "Nadia Roux" in html and "lun.-ven. 8h-17h" in html


def test_the_referent_card_gives_function_contacts_and_what_the_unit_handles(browser, directory):
    response = browser.get(f"/directory/referents/{directory.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nadia Roux" in html and 'href="mailto:nadia@example.org"' in html and "Tags et graffitis" in html


def test_unknown_organisation_or_referent_is_a_404_and_anonymous_users_are_sent_to_login(
    client, browser, directory
):
    assert browser.get("/directory/organisations/nope/").status_code == 404
    assert browser.get("/directory/referents/999999/").status_code == 404
    client.logout()
    response = client.get("/directory/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
