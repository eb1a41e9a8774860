"""The Observation page without JavaScript (plain GET), its export, scope and bad filters."""

import csv
import io

import pytest
from django.test import Client

from tests.observation import scenario
from tests.procedures.helpers_actions import paris

URL = "/observation/"


@pytest.fixture
def year(requests_world, bulky, time_machine, settings):
    settings.GUP_OBSERVATION_MIN_CELL = 1
    requests = scenario.build(requests_world, bulky, time_machine)
    time_machine.move_to(paris(2026, 12, 1, 9, 0), tick=False)
    return requests


def client(user):
    browser = Client()
    browser.force_login(user)
    return browser


def test_the_page_shows_tiles_charts_and_the_same_numbers_in_tables(year, requests_world):
    response = client(requests_world.dvq_officer).get(URL, {"since": "2026-01-01", "until": "2026-12-31"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('src="data:image/svg+xml;base64,') == 4  # volume, on time, delays, density
    assert "10,5 h" in html and "22,4 h" in html and "80 %" in html  # resolve median, p90, on time
    assert "<caption>Volume mensuel et stock</caption>" in html
    assert 'style="' not in html and "<script>" not in html.replace('<script src="', "")


def test_a_commune_filtering_another_commune_gets_404_and_bad_dates_a_form_error(year, requests_world):
    browser = client(requests_world.commune_user)
    assert browser.get(URL, {"commune": "78902"}).status_code == 404
    response = browser.get(URL, {"since": "2026-02-30"})
    assert response.status_code == 400
    assert "errorlist" in response.content.decode()
    assert client(requests_world.commune_user).get(URL, {"commune": "78901"}).status_code == 200


def test_the_export_streams_one_row_per_request_with_its_delays_and_targets(year, requests_world):
    response = client(requests_world.admin_user).get(
        "/observation/requests.csv", {"since": "2026-01-01", "until": "2026-12-31"}
    )
    assert response.status_code == 200 and response.streaming
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert len(rows) == 1 + 7
    header, by_reference = rows[0], {row[0]: row for row in rows[1:]}
    r3 = dict(zip(header, by_reference[year[3].reference], strict=True))
    values = list(r3.values())
    # R3: acknowledged in 0.5 h of 7; its last resolve clock: 28 h against 21 h, late
    assert values[11:17] == ["7,00", "0,50", "oui", "21,00", "28,00", "non"]
    xlsx = client(requests_world.admin_user).get("/observation/requests.xlsx", {"since": "2026-01-01"})
    assert xlsx.status_code == 200
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content)), read_only=True).active
    assert len(list(sheet.rows)) == 8


def test_someone_with_nothing_to_observe_gets_404(requests_world):
    from tests.factories import make_user

    assert client(make_user(username="nobody")).get(URL).status_code == 404


def test_each_table_of_the_page_downloads_with_the_same_numbers(year, requests_world):
    browser = client(requests_world.dvq_officer)
    period = {"since": "2026-01-01", "until": "2026-12-31"}
    html = browser.get(URL, period).content.decode()
    assert "/observation/tables/handlers.xlsx?since=2026-01-01" in html
    response = browser.get("/observation/tables/months.csv", period)
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Mois", "Déposée", "Réalisée"]
    assert {row[0]: row[1] for row in rows[1:]}["06/2026"] == "2"  # R2 and R4
    handlers = browser.get("/observation/tables/handlers.xlsx", period)
    assert handlers.status_code == 200 and handlers.content[:2] == b"PK"
    assert browser.get("/observation/tables/nothing.csv", period).status_code == 404
    assert browser.get("/observation/tables/months.pdf", period).status_code == 404
    assert browser.get("/observation/tables/months.csv", {"since": "2026-13-01"}).status_code == 404
    other = client(requests_world.commune_2_user)
    assert (
        other.get("/observation/tables/months.csv", {"commune": requests_world.commune.insee}).status_code
        == 404
    )
