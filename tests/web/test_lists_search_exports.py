"""Lists without a browser: accent-insensitive search, the queue's search and filters, sorting by
column, and the CSV/XLSX exports of the request list, the queues and the DVQ's tables."""

import csv
import io
from datetime import datetime
from importlib import import_module
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from procedures.models import InterventionRequest
from procedures.search import fold
from tests.factories import POINT_IN_COMMUNE_1, POINT_IN_COMMUNE_2
from tests.procedures.helpers import make_request_row
from tests.web.test_requests import EN, body_of, file_request


@pytest.fixture
def setup(world, procedure, category):
    return world


def refs_in(page, refs):
    """The given references in the order they appear on the page (those absent are left out)."""
    found = [(page.find(f">{ref}<"), ref) for ref in refs if f">{ref}<" in page]
    return [ref for _pos, ref in sorted(found)]


def count_queries(client, url, params=None):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, params or {}, **EN)
    assert response.status_code == 200, body_of(response)[-2000:]
    return len(context.captured_queries), response


# --- accent-insensitive search ------------------------------------------------------------------------------
def test_fold_lowers_and_drops_accents_and_ligatures():
    assert fold("  Candélabre   CASSÉ, cœur ") == "candelabre casse, coeur"
    assert fold("") == "" and fold(None) == ""


def test_candelabre_finds_candelabre_with_its_accent_in_the_list_and_the_queue(client, setup):
    lamp = file_request(client, setup.commune_user, description="Candélabre cassé", address="Rue de l'Été")
    other = file_request(client, setup.commune_user, description="Un matelas")
    assert lamp.search_text == "candelabre casse rue de l'ete"
    for text in ("candelabre", "CANDÉLABRE", "rue de l'ete"):
        page = body_of(client.get(reverse("request-list"), {"q": text}))
        assert lamp.reference in page and other.reference not in page, text
    client.force_login(setup.ctc_agent)
    page = body_of(client.get(reverse("queue"), {"queue": "team", "q": "candelabre"}, **EN))
    assert refs_in(page, [lamp.reference, other.reference]) == [lamp.reference]
    page = body_of(client.get(reverse("queue"), {"queue": "team", "q": other.reference[-6:]}, **EN))
    assert refs_in(page, [lamp.reference, other.reference]) == [other.reference]


def test_the_data_migration_folds_the_rows_filed_before_the_column(setup, category):
    row = make_request_row(
        category, lon=POINT_IN_COMMUNE_1[0], lat=POINT_IN_COMMUNE_1[1], commune=setup.commune
    )
    InterventionRequest.objects.filter(pk=row.pk).update(description="Éclairage PUBLIC", address="Allée Œuf")
    import_module("procedures.migrations.0005_request_search_text").fill_search_text(apps, None)
    row.refresh_from_db()
    assert row.search_text == "eclairage public allee oeuf"


# --- the queue's search and filters -------------------------------------------------------------------------
def test_the_queue_filters_by_category_commune_and_step_and_keeps_the_queue(client, setup):
    first = file_request(client, setup.commune_user, description="un")
    second = file_request(client, setup.commune_user, description="deux")
    client.force_login(setup.ctc_agent)
    from procedures import actions

    actions.do_transition_request(first, "acknowledge", acting_user=setup.ctc_agent)
    url = reverse("queue")
    page = body_of(client.get(url, {"queue": "team", "state": "acknowledged"}, **EN))
    assert refs_in(page, [first.reference, second.reference]) == [first.reference]
    assert 'name="queue" value="team"' in page and "1 request" in page and "Reset" in page
    page = body_of(client.get(url, {"queue": "team", "commune": setup.commune_2.pk}, **EN))
    assert refs_in(page, [first.reference, second.reference]) == []
    page = body_of(client.get(url, {"queue": "team", "category": "encombrants"}, **EN))
    assert refs_in(page, [first.reference, second.reference]) == [first.reference, second.reference]
    points = client.get(reverse("queue-points"), {"queue": "team", "state": "acknowledged"}).json()
    urls = [feature["properties"]["url"] for feature in points["features"]]
    assert urls == [reverse("request-detail", args=[first.reference])]
    response = client.get(url, {"queue": "team", "commune": "not-a-number"}, **EN)
    assert response.status_code == 200 and "Select a valid choice" in body_of(response)


def test_the_queue_search_takes_a_constant_number_of_queries(client, setup):
    for n in range(2):
        file_request(client, setup.commune_user, description=f"lampadaire {n}")
    client.force_login(setup.ctc_agent)
    params = {"queue": "team", "q": "lampadaire", "category": "encombrants", "sort": "-due"}
    few, _response = count_queries(client, reverse("queue"), params)
    for n in range(5):
        file_request(client, setup.commune_user, description=f"lampadaire {n}")
    client.force_login(setup.ctc_agent)
    many, response = count_queries(client, reverse("queue"), params)
    assert body_of(response).count('<a href="/requests/DI-') == 7
    assert many == few <= 20


# --- sorting ------------------------------------------------------------------------------------------------
def test_the_list_sorts_by_a_whitelisted_column_and_marks_it_with_aria_sort(client, setup):
    old = file_request(client, setup.commune_user, description="b")
    new = file_request(client, setup.commune_user, description="a")
    refs = [old.reference, new.reference]
    page = body_of(client.get(reverse("request-list"), **EN))
    assert refs_in(page, refs) == [new.reference, old.reference]  # newest first by default
    assert 'aria-sort="descending"' in page and page.count("aria-sort=") == 1
    page = body_of(client.get(reverse("request-list"), {"sort": "reference"}, **EN))
    assert refs_in(page, refs) == [old.reference, new.reference]
    assert '<th scope="col" aria-sort="ascending"><a href="?sort=-reference"' in page
    page = body_of(client.get(reverse("request-list"), {"sort": "-reference"}, **EN))
    assert refs_in(page, refs) == [new.reference, old.reference]
    for sort in ("state", "category", "due", "-filed"):
        assert client.get(reverse("request-list"), {"sort": sort}).status_code == 200
    page = body_of(client.get(reverse("request-list"), {"sort": "description; drop table"}, **EN))
    assert refs_in(page, refs) == [new.reference, old.reference]  # not whitelisted: the default


def test_the_queue_sorts_oldest_first_by_default_and_by_the_column_asked(client, setup):
    old = file_request(client, setup.commune_user, description="b")
    new = file_request(client, setup.commune_user, description="a")
    client.force_login(setup.ctc_agent)
    refs = [old.reference, new.reference]
    page = body_of(client.get(reverse("queue"), {"queue": "team"}, **EN))
    assert refs_in(page, refs) == [old.reference, new.reference]
    assert "sort=-filed" in page and "queue=team" in page.split("sort=-filed")[0][-60:]
    page = body_of(client.get(reverse("queue"), {"queue": "team", "sort": "-filed"}, **EN))
    assert refs_in(page, refs) == [new.reference, old.reference]
    assert 'name="sort" value="-filed"' in page  # the search form keeps the order


# --- exports ------------------------------------------------------------------------------------------------
def read_csv(response):
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def test_the_list_exports_as_csv_with_its_filters_french_headers_and_local_dates(client, setup, time_machine):
    time_machine.move_to(datetime(2026, 3, 10, 23, 30, tzinfo=ZoneInfo("UTC")), tick=False)
    lamp = file_request(client, setup.commune_user, description="Candélabre ; éteint", urgency="normal")
    file_request(client, setup.commune_user, description="Matelas")
    client.force_login(setup.commune_2_user)
    file_request(
        client,
        setup.commune_2_user,
        description="Candélabre ailleurs",
        lon=POINT_IN_COMMUNE_2[0],
        lat=POINT_IN_COMMUNE_2[1],
    )
    client.force_login(setup.commune_user)
    response = client.get(reverse("request-export", args=["csv"]), {"q": "candelabre"})
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="gup-demandes-2026-03-11-0030.csv"'
    rows = read_csv(response)
    assert rows[0][:3] == ["Référence", "Déposée le", "Catégorie"] and rows[0][-1] == "Description"
    assert [row[0] for row in rows[1:]] == [lamp.reference]  # filtered; the other commune's is out of scope
    assert rows[1][1] == "11/03/2026 00:30"  # Europe/Paris
    assert rows[1][2] == "Encombrants" and rows[1][-1] == "Candélabre ; éteint"


def test_the_list_exports_as_xlsx_in_a_bounded_number_of_queries(client, setup):
    from openpyxl import load_workbook

    for n in range(2):
        file_request(client, setup.commune_user, description=f"n{n}")
    client.force_login(setup.commune_user)
    url = reverse("request-export", args=["xlsx"])
    few, _response = count_queries(client, url, {"sort": "due"})
    for n in range(5):
        file_request(client, setup.commune_user, description=f"m{n}")
    client.force_login(setup.commune_user)
    many, response = count_queries(client, url, {"sort": "due"})
    assert many == few <= 10
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Reference" and len(rows) == 8
    assert isinstance(rows[1][1], datetime) and rows[1][1].tzinfo is None


def test_a_queue_exports_its_search_and_an_unknown_format_is_a_404(client, setup):
    lamp = file_request(client, setup.commune_user, description="Candélabre")
    file_request(client, setup.commune_user, description="Matelas")
    client.force_login(setup.ctc_agent)
    response = client.get(reverse("queue-export", args=["csv"]), {"queue": "team", "q": "candelabre"})
    assert response.status_code == 200
    assert 'filename="gup-file-de-mon-equipe-' in response["Content-Disposition"]
    assert [row[0] for row in read_csv(response)[1:]] == [lamp.reference]
    assert client.get(reverse("queue-export", args=["pdf"]), {"queue": "team"}).status_code == 404
    client.force_login(setup.commune_user)
    assert client.get(reverse("queue-export", args=["csv"])).status_code == 403


def test_the_dvq_exports_its_tables_and_nobody_else_may(client, setup):
    file_request(client, setup.commune_user, urgency="urgent", urgency_criteria=["danger"])
    client.force_login(setup.dvq_officer)
    page = body_of(client.get(reverse("dvq-dashboard"), **EN))
    assert reverse("dvq-export", args=["communes", "xlsx"]) in page
    rows = read_csv(client.get(reverse("dvq-export", args=["communes", "csv"])))
    assert rows == [
        ["Commune", "En cours", "Urgente", "Urgences non justifiées", "En retard", "Total"],
        ["Commune Une", "1", "1", "0", "0", "1"],
    ]
    urgent = read_csv(client.get(reverse("dvq-export", args=["urgent", "csv"])))
    assert len(urgent) == 2 and urgent[1][6] == "Urgente"
    assert client.get(reverse("dvq-export", args=["nope", "csv"])).status_code == 404
    client.force_login(setup.ctc_agent)
    assert client.get(reverse("dvq-export", args=["communes", "csv"])).status_code == 403


def test_the_queue_and_dvq_exports_take_a_constant_number_of_queries(client, setup):
    def both():
        client.force_login(setup.ctc_agent)
        queue, response = count_queries(client, reverse("queue-export", args=["csv"]), {"queue": "team"})
        rows = len(read_csv(response)) - 1
        client.force_login(setup.dvq_officer)
        dvq, _response = count_queries(client, reverse("dvq-export", args=["urgent", "xlsx"]))
        return queue, dvq, rows

    for n in range(2):
        file_request(
            client, setup.commune_user, urgency="urgent", urgency_criteria=["danger"], description=f"n{n}"
        )
    few = both()
    for n in range(4):
        file_request(
            client, setup.commune_user, urgency="urgent", urgency_criteria=["danger"], description=f"m{n}"
        )
    many = both()
    assert (few[2], many[2]) == (2, 6)
    assert many[:2] == few[:2] and max(many[:2]) <= 12


def test_the_category_filters_offer_any_category_first(client, setup):
    client.force_login(setup.commune_user)
    page = body_of(client.get(reverse("request-list"), **EN))
    assert '<select name="category" id="id_category">\n  <option value="" selected>Any</option>' in page
    client.force_login(setup.ctc_agent)
    page = body_of(client.get(reverse("queue"), **EN))
    assert '<select name="category" id="id_category">\n  <option value="" selected>Any</option>' in page
