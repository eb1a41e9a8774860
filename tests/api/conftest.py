import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from api.models import ApiToken


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def as_user(world):
    """as_user(user) -> an APIClient authenticated with a fresh token of that user."""

    def make(user):
        client = APIClient()
        _token, key = ApiToken.objects.create_for(user, "test")
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return make


@pytest.fixture
def procedure(db):
    """The intervention-request procedure, published as `make run` does it."""
    from io import StringIO

    from django.core.management import call_command

    call_command("setup_procedures", stdout=StringIO())


@pytest.fixture
def potholes(world, procedure):
    """A category with an urgency criterion and a number attribute, handled by the commune's CTC."""
    from directory.models import Competence
    from procedures.models import CategoryAttribute, CategoryGroup, UrgencyCriterion
    from tests.factories import make_category

    group = CategoryGroup.objects.create(code="roads", name="Voirie")
    category = make_category("potholes", group=group, name="Nids-de-poule")
    UrgencyCriterion.objects.create(category=category, code="danger", label="Danger pour les personnes")
    CategoryAttribute.objects.create(
        category=category, code="depth", label="Profondeur (cm)", type="number", min_value=0, max_value=100
    )
    Competence.objects.create(unit=world.ctc, category=category)
    Competence.objects.create(unit=world.ctc_2, category=category)
    return category
