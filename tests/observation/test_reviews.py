"""The annual review: generated, written, published (frozen), corrected; command, worker run, PDF."""

import io
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from engine.errors import InvalidFields, RoleNotAllowed
from observation.actions import (
    do_correct_annual_review,
    do_edit_annual_review,
    do_generate_annual_review,
    do_publish_annual_review,
    do_request_review_run,
    run_review_jobs,
)
from observation.models import AnnualReview, ObservationAuditEntry, ReviewRun
from tests.observation import scenario
from tests.procedures.helpers_actions import file, paris


@pytest.fixture
def year(requests_world, bulky, time_machine, settings):
    settings.GUP_OBSERVATION_MIN_CELL = 1
    requests = scenario.build(requests_world, bulky, time_machine)
    time_machine.move_to(paris(2027, 1, 15, 9, 0), tick=False)
    return requests


def test_a_review_is_generated_written_published_frozen_and_corrected(
    year, requests_world, bulky, time_machine
):
    world = requests_world
    review = do_generate_annual_review(2026, world.commune, acting_user=world.dvq_officer)
    assert (review.version, review.state, review.figures["current"]["volumes"]["filed"]) == (1, "draft", 7)
    assert set(review.charts) == {"volume", "on_time", "delays", "density"}
    with pytest.raises(InvalidFields) as error:
        do_publish_annual_review(review, acting_user=world.dvq_officer)
    assert "introduction" in error.value.errors  # the project lead writes first
    do_edit_annual_review(
        review,
        introduction="Une année de mise en route.",
        highlights="Délais tenus.",
        acting_user=world.dvq_officer,
    )
    review = do_publish_annual_review(review, acting_user=world.dvq_officer)
    frozen = (review.figures, review.charts)
    assert review.state == "published" and review.published_by == world.dvq_officer

    # A request filed late in 2026 is corrected in (a data correction): the published review does not move.
    time_machine.move_to(paris(2026, 12, 30, 9, 0), tick=False)
    file(world, bulky)
    time_machine.move_to(paris(2027, 1, 20, 9, 0), tick=False)
    review.refresh_from_db()
    assert (review.figures, review.charts) == frozen
    with pytest.raises(InvalidFields):
        do_edit_annual_review(review, introduction="x", highlights="", acting_user=world.dvq_officer)
    with pytest.raises(InvalidFields):
        do_generate_annual_review(2026, world.commune, acting_user=world.dvq_officer)
    with pytest.raises(InvalidFields) as error:
        do_correct_annual_review(review, reason=" ", acting_user=world.dvq_officer)
    assert "reason" in error.value.errors

    correction = do_correct_annual_review(
        review, reason="Une demande saisie en retard.", acting_user=world.dvq_officer
    )
    assert (correction.version, correction.state, correction.figures["current"]["volumes"]["filed"]) == (
        2,
        "draft",
        8,
    )
    assert correction.introduction == "Une année de mise en route."
    assert list(
        ObservationAuditEntry.objects.filter(target__startswith="review:2026/78901").values_list(
            "event", flat=True
        )
    ) == ["review_generated", "review_edited", "review_published", "review_corrected"]


def test_only_the_dvq_or_administrators_write_reviews_and_bad_years_or_communes_are_refused(
    year, requests_world
):
    with pytest.raises(RoleNotAllowed):
        do_generate_annual_review(2026, requests_world.commune, acting_user=requests_world.commune_user)
    with pytest.raises(InvalidFields) as error:
        do_generate_annual_review(2025, requests_world.commune, acting_user=None)
    assert "2025" in error.value.errors["year"]
    with pytest.raises(InvalidFields):
        do_generate_annual_review(2026, requests_world.commune_2, acting_user=None)  # nothing filed there
    with pytest.raises(CommandError, match="INSEE code 99999"):
        call_command("annual_review", "--year", "2026", "--commune", "99999")
    with pytest.raises(CommandError, match="Aucune demande n’a été déposée en 2019"):
        call_command("annual_review", "--year", "2019")
    assert not AnnualReview.objects.exists() and not ReviewRun.objects.exists()


def test_the_command_generates_the_community_and_each_commune_with_its_progress(year, requests_world):
    out = StringIO()
    call_command("annual_review", "--year", "2026", stdout=out)
    assert "  2/2" in out.getvalue() and "2 generated" in out.getvalue()
    assert sorted(str(r.commune) for r in AnnualReview.objects.all()) == ["Commune Une", "None"]
    call_command("annual_review", "--year", "2026", "--commune", "78901", stdout=out)
    assert AnnualReview.objects.count() == 2  # the draft regenerated, not duplicated


def test_the_button_asked_twice_gives_the_same_run_and_the_worker_runs_it_once(year, requests_world):
    first, created = do_request_review_run(2026, acting_user=requests_world.dvq_officer)
    again, created_again = do_request_review_run(2026, acting_user=requests_world.admin_user)
    assert (created, created_again, again.pk) == (True, False, first.pk)
    assert run_review_jobs() == 1
    assert run_review_jobs() == 0
    first.refresh_from_db()
    assert (first.state, first.done, first.total) == ("done", 2, 2)
    browser = Client()
    browser.force_login(requests_world.dvq_officer)
    response = browser.post("/reviews/", {"year": "2026"})
    assert response.status_code == 302 and ReviewRun.objects.count() == 2
    response = browser.post("/reviews/", {"year": "2026"})  # queued: the same one
    assert ReviewRun.objects.count() == 2
    response = browser.post("/reviews/", {"year": "2019"})
    assert response.status_code == 400 and "2019" in response.content.decode()


def test_the_pdf_shows_the_key_figures_and_the_xlsx_its_tables(year, requests_world):
    from openpyxl import load_workbook
    from pypdf import PdfReader

    review = do_generate_annual_review(2026, None, acting_user=None)
    do_edit_annual_review(review, introduction="Bilan de test.", highlights="", acting_user=None)
    browser = Client()
    browser.force_login(requests_world.dvq_officer)
    response = browser.get(f"/reviews/{review.pk}/review.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Bilan de test." in text
    assert "10,5 h" in text and "22,4 h" in text and "80 %" in text  # resolve median, p90, on time
    assert "Commune Une" in text
    xlsx = browser.get(f"/reviews/{review.pk}/review.xlsx")
    workbook = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content)), read_only=True)
    months = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert months[0][:3] == ("Mois", "Déposée", "Réalisée")
    assert [row[1] for row in months[1:]] == [0, 0, 0, 0, 1, 2, 1, 0, 3, 0, 0, 0]
    page = browser.get(f"/reviews/{review.pk}/")
    assert page.status_code == 200
    # a commune sees no draft (404); once published, it sees the community's review
    commune = Client()
    commune.force_login(requests_world.commune_user)
    assert commune.get(f"/reviews/{review.pk}/").status_code == 404
    do_publish_annual_review(review, acting_user=None)
    assert commune.get(f"/reviews/{review.pk}/").status_code == 200
    assert commune.post(f"/reviews/{review.pk}/correct/", {"reason": "x"}).status_code == 404
