"""The review page's dysfunctions from the walking diagnostics: the findings of the programme's year, in its
QPV, on the landlord's land, rated below "good", read through diagnostics.queries only."""

import ast
import datetime
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from shapely.geometry import box

from diagnostics.actions import (
    do_create_diagnostic,
    do_create_grid_version,
    do_move_diagnostic,
    do_publish_grid_version,
    do_record_finding,
)
from diagnostics.models import Finding, GridItem
from directory.models import Parcel
from tests.diagnostics.conftest import GRID
from tests.factories import PASSWORD, make_category, make_parcel
from tests.tfpb.builders import build_programme
from tfpb import figures

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent.parent
PARIS = ZoneInfo("Europe/Paris")


def _at(*args):
    return datetime.datetime(*args, tzinfo=PARIS)


@pytest.fixture
def walk(tfpb, time_machine):
    """The landlord owns only the west half of the QPV; a diagnostic of the QPV with findings in and out
    of the programme's year, of the QPV, of the landlord's land, and one rated at the best level."""
    time_machine.move_to("2025-06-15 10:00:00+02:00", tick=False)
    world = tfpb.world
    Parcel.objects.filter(ref="LANDLORD-1").update(owner=world.contractor)
    make_parcel(box(1.705, 48.985, 1.710, 48.995), owner=world.landlord, ref="LANDLORD-WEST")
    make_category("bulky", name="Encombrants")
    grid = do_publish_grid_version(
        do_create_grid_version(GRID, acting_user=world.admin_user), acting_user=world.admin_user
    )
    diagnostic = do_create_diagnostic(
        acting_user=world.commune_user,
        commune=world.commune,
        title="Diagnostic du QPV Un",
        date=datetime.date(2025, 6, 15),
        grid_version=grid,
        qpv=world.qpv,
        participants=[world.landlord],
    )
    do_move_diagnostic(diagnostic, "start_field", acting_user=world.commune_user)

    def record(code, rating, lon, observed_at, lat=48.99):
        theme, _sep, item = code.partition("/")
        finding, _created = do_record_finding(
            diagnostic,
            acting_user=world.commune_user,
            client_id=uuid.uuid4().hex,
            item=GridItem.objects.get(theme__version=grid, theme__code=theme, code=item),
            rating=rating,
            lon=lon,
            lat=lat,
            observed_at=observed_at,
        )
        return finding

    return {
        "counted": [
            record("proprete/encombrants", 0, 1.707, _at(2025, 6, 15, 9)),
            record("proprete/encombrants", 1, 1.708, _at(2025, 1, 1, 0, 30)),  # 2024 in UTC, 2025 here
            record("proprete/corbeilles", 1, 1.707, _at(2025, 6, 15, 9, 5)),
        ],
        "left_out": [
            record("proprete/encombrants", 3, 1.707, _at(2025, 6, 15, 9, 10)),  # "Bon": no dysfunction
            record("proprete/encombrants", 0, 1.712, _at(2025, 6, 15, 9, 15)),  # QPV, not its land
            record("proprete/encombrants", 0, 1.718, _at(2025, 6, 15, 9, 20)),  # outside the QPV
            record("proprete/encombrants", 0, 1.707, _at(2024, 12, 31, 23, 30)),  # the year before
        ],
    }


def test_it_counts_the_years_findings_on_the_landlords_land_in_the_qpv_below_good(tfpb, walk):
    programme = build_programme(tfpb, year=2025)
    Finding.objects.filter(pk=walk["counted"][0].pk).update(outcome="request")

    found = figures.dysfunctions(programme)

    assert found["findings_total"] == 3
    assert found["findings_by_item"] == [
        {"theme": "Propreté", "item": "Encombrants", "count": 2},
        {"theme": "Propreté", "item": "Corbeilles", "count": 1},
    ]
    assert found["findings_as_requests"] == 1
    assert figures.dysfunctions(build_programme(tfpb, year=2026))["findings_total"] == 0


def test_the_review_page_shows_the_findings_beside_the_requests(tfpb, walk):
    programme = build_programme(tfpb, year=2025)
    client = Client()
    assert client.login(username=tfpb.world.landlord_agent.username, password=PASSWORD)
    page = client.get(reverse("tfpb-review", args=[programme.pk])).content.decode()
    section = page.split('id="dysfunctions-title"')[1]
    assert "demandes déposées en 2025" in section or "demande déposée en 2025" in section
    assert "3 dysfonctionnements relevés en 2025 par les diagnostics en marchant" in section
    assert '<td>Propreté</td><td>Encombrants</td><td class="num">2</td>' in section


def test_tfpb_reads_the_diagnostics_only_through_their_public_queries_and_never_the_reverse():
    def imports(folder):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    yield path.relative_to(ROOT).as_posix(), node.module
                elif isinstance(node, ast.Import):
                    for alias in node.names:
                        yield path.relative_to(ROOT).as_posix(), alias.name

    tfpb_uses = {m for _p, m in imports("tfpb") if m.split(".")[0] == "diagnostics"}
    assert tfpb_uses == {"diagnostics.queries"}
    assert [(p, m) for p, m in imports("diagnostics") if m.split(".")[0] == "tfpb"] == []


def test_the_programmes_xlsx_lists_the_dysfunctions(tfpb, walk):
    import io

    from django.utils import translation
    from openpyxl import load_workbook

    from tfpb.exports import programme_xlsx

    programme = build_programme(tfpb, year=2025)
    with translation.override("fr"):
        book = load_workbook(io.BytesIO(programme_xlsx(programme)))
    rows = list(book["Dysfonctionnements"].iter_rows(values_only=True))
    assert rows[0] == ("Source", "Catégorie", "Thème", "Item", "Nombre")
    assert rows[1:] == [
        ("Diagnostics en marchant", None, "Propreté", "Encombrants", 2),
        ("Diagnostics en marchant", None, "Propreté", "Corbeilles", 1),
    ]
