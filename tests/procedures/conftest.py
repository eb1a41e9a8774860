import pytest


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The territory creates a dozen users; the default hasher would spend seconds on each test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def procedure(db):
    """The intervention-request procedure published as `make run` does it."""
    from io import StringIO

    from django.core.management import call_command

    call_command("setup_procedures", stdout=StringIO())


@pytest.fixture
def bulky(world):
    """A category of the cleanliness group with an urgency criterion and an optional attribute."""
    from procedures.models import CategoryAttribute, CategoryGroup, UrgencyCriterion
    from tests.factories import make_category

    group = CategoryGroup.objects.create(code="cleanliness", name="Propreté")
    category = make_category("bulky", group=group, name="Encombrants")
    UrgencyCriterion.objects.create(category=category, code="access-blocked", label="Bloque un accès")
    CategoryAttribute.objects.create(
        category=category, code="volume", label="Volume (m³)", type="number", min_value=0, max_value=100
    )
    return category


@pytest.fixture
def requests_world(world, procedure, bulky):
    return world
