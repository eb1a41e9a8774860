import io

import pytest
from django.test import Client
from pypdf import PdfReader

from diagnostics.actions import do_move_diagnostic, do_record_finding
from diagnostics.models import Finding
from procedures.models import InterventionRequest
from tests.diagnostics.conftest import item, new_client_id, photo
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def client_for(user):
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def analysed(world, diagnostic, grid):
    for n, code in enumerate(["proprete/encombrants", "proprete/corbeilles", "eclairage/candelabre"]):
        do_record_finding(
            diagnostic,
            acting_user=world.commune_user,
            client_id=new_client_id(),
            item=item(grid, code),
            rating=n,
            lon=1.706 + 0.003 * n,
            lat=48.987,
            comment=f"Constat {n}",
            photos=[photo()] if n == 0 else [],
        )
    return do_move_diagnostic(diagnostic, "start_analysis", acting_user=world.commune_user)


def test_every_page_of_a_diagnostic_answers_its_commune_and_404_elsewhere(world, analysed):
    pk = analysed.pk
    pages = [
        "/diagnostics/",
        "/diagnostics/new/",
        f"/diagnostics/{pk}/",
        f"/diagnostics/{pk}/record/",
        f"/diagnostics/{pk}/analysis/",
        f"/diagnostics/{pk}/report/",
    ]
    commune = client_for(world.commune_user)
    for url in pages:
        assert commune.get(url).status_code == 200, url
    outsider = client_for(world.commune_2_user)
    for url in [*pages[2:], f"/diagnostics/{pk}/report.pdf"]:
        assert outsider.get(url).status_code == 404, url
    assert "Diagnostic du QPV Un" not in outsider.get("/diagnostics/").content.decode()


def test_the_analysis_groups_findings_and_names_owner_and_handler(world, analysed):
    page = client_for(world.commune_user).get(f"/diagnostics/{analysed.pk}/analysis/").content.decode()
    assert "Encombrants" in page and "Corbeilles" in page
    assert "Bailleur" in page  # the landlord owns the parcel under the QPV
    photo_id = Finding.objects.get(comment="Constat 0").photos.get().pk
    assert f"/photos/{photo_id}/" in page


def test_the_bulk_conversion_form_files_requests_once(world, analysed, procedure):
    mapped = list(Finding.objects.filter(item__category__isnull=False).values_list("pk", flat=True))
    client = client_for(world.commune_user)
    answer = client.post(f"/diagnostics/{analysed.pk}/convert/", {"findings": mapped, "outcome": "request"})
    assert answer.status_code == 302
    assert InterventionRequest.objects.count() == 2
    client.post(f"/diagnostics/{analysed.pk}/convert/", {"findings": mapped, "outcome": "request"})
    assert InterventionRequest.objects.count() == 2
    page = client.get(f"/diagnostics/{analysed.pk}/analysis/").content.decode()
    for request in InterventionRequest.objects.all():
        assert request.reference in page
    refused = client.post(
        f"/diagnostics/{analysed.pk}/convert/",
        {"findings": [Finding.objects.get(comment="Constat 1").pk], "outcome": "no_action", "reason": ""},
        follow=True,
    )
    assert "Say why" in refused.content.decode() or "Dites pourquoi" in refused.content.decode()


def test_the_report_pdf_holds_the_table_and_the_map(world, analysed):
    answer = client_for(world.commune_user).get(f"/diagnostics/{analysed.pk}/report.pdf")
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(answer.content))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "Diagnostic du QPV Un" in text and "Encombrants" in text and "Constat 2" in text
    report = client_for(world.commune_user).get(f"/diagnostics/{analysed.pk}/report/").content.decode()
    assert "<svg" in report and report.count("<circle") == 3


def test_the_service_worker_is_served_with_a_scope_covering_the_pages(world):
    answer = Client().get("/diagnostics/sw.js")
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("application/javascript")
    assert answer["Service-Worker-Allowed"] == "/diagnostics/"
    assert b"web/diagnostics-record.js" in answer.content


def test_the_route_is_drawn_or_typed_and_bad_lines_are_refused(world, diagnostic):
    client = client_for(world.commune_user)
    url = f"/diagnostics/{diagnostic.pk}/route/"
    assert client.get(url).status_code == 200
    refused = client.post(url, {"points": "48,986 1,706\nnot a point"})
    assert refused.status_code == 200 and "Ligne 2" in refused.content.decode()
    diagnostic.refresh_from_db()
    assert diagnostic.route is None
    answer = client.post(url, {"points": "48,986 1,706\n48.990;1.710\n48.994 1.714"})
    assert answer.status_code == 302
    diagnostic.refresh_from_db()
    assert diagnostic.route["coordinates"] == [[1.706, 48.986], [1.71, 48.99], [1.714, 48.994]]
    assert 1000 < diagnostic.route_length_m < 1200
    assert client_for(world.commune_2_user).post(url, {"points": ""}).status_code == 404
