"""Fixtures of the walking diagnostics: a small published grid mapped to a category, a diagnostic in the
first commune of the test territory (with the landlord taking part), photos."""

import datetime
import uuid
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from tests.factories import make_category

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cf000000030101008d1bba7b0000000049454e44ae426082"
)

GRID = """
code: test-grid
name: Grille de test
scale:
  - {value: 0, label: "Très dégradé"}
  - {value: 1, label: "Dégradé"}
  - {value: 2, label: "Correct"}
  - {value: 3, label: "Bon"}
themes:
  - code: proprete
    label: Propreté
    items:
      - {code: encombrants, label: Encombrants, category: bulky}
      - {code: corbeilles, label: Corbeilles}
  - code: eclairage
    label: Éclairage
    items:
      - {code: candelabre, label: Candélabre éteint, category: bulky}
"""


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def bulky(world):
    return make_category("bulky", name="Encombrants")


@pytest.fixture
def grid(world, bulky):
    from diagnostics.actions import do_create_grid_version, do_publish_grid_version

    version = do_create_grid_version(GRID, acting_user=world.admin_user)
    return do_publish_grid_version(version, acting_user=world.admin_user)


@pytest.fixture
def procedure(db):
    call_command("setup_procedures", stdout=StringIO())


@pytest.fixture
def diagnostic(world, grid):
    from diagnostics.actions import do_create_diagnostic, do_move_diagnostic

    diagnostic = do_create_diagnostic(
        acting_user=world.commune_user,
        commune=world.commune,
        title="Diagnostic du QPV Un",
        date=datetime.date(2026, 11, 20),
        grid_version=grid,
        qpv=world.qpv,
        residents_count=4,
        participants=[world.landlord],
    )
    return do_move_diagnostic(diagnostic, "start_field", acting_user=world.commune_user)


def photo(name="photo.png", data=PNG):
    return SimpleUploadedFile(name, data, content_type="image/png")


def new_client_id():
    return uuid.uuid4().hex


def item(grid, code="proprete/encombrants"):
    from diagnostics.models import GridItem

    theme, _sep, item_code = code.partition("/")
    return GridItem.objects.get(theme__version=grid, theme__code=theme, code=item_code)


def make_walk(world):
    """A published grid, a diagnostic of the first commune under analysis with two findings (one with a
    photo): for pages that need one (tests/web)."""
    from diagnostics.actions import (
        do_create_diagnostic,
        do_create_grid_version,
        do_move_diagnostic,
        do_publish_grid_version,
        do_record_finding,
    )
    from procedures.models import Category

    if not Category.objects.filter(code="bulky").exists():
        make_category("bulky", name="Encombrants")
    version = do_publish_grid_version(
        do_create_grid_version(GRID, acting_user=world.admin_user), acting_user=world.admin_user
    )
    diagnostic = do_create_diagnostic(
        acting_user=world.commune_user,
        commune=world.commune,
        title="Diagnostic du QPV Un",
        date=datetime.date(2026, 11, 20),
        grid_version=version,
        qpv=world.qpv,
        route={"type": "LineString", "coordinates": [[1.706, 48.986], [1.710, 48.990], [1.714, 48.994]]},
        participants=[world.landlord],
    )
    do_move_diagnostic(diagnostic, "start_field", acting_user=world.commune_user)
    for n, code in enumerate(["proprete/encombrants", "proprete/corbeilles"]):
        do_record_finding(
            diagnostic,
            acting_user=world.commune_user,
            client_id=new_client_id(),
            item=item(version, code),
            rating=n,
            lon=1.707 + 0.004 * n,
            lat=48.988,
            comment=f"Constat {n}",
            photos=[photo()] if n == 0 else [],
        )
    return do_move_diagnostic(diagnostic, "start_analysis", acting_user=world.commune_user)
