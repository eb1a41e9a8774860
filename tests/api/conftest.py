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
