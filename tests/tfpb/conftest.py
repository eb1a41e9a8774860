import pytest

from tests.tfpb.builders import build_tfpb


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def tfpb(world):
    return build_tfpb(world)


@pytest.fixture
def as_user():
    """as_user(user) -> an APIClient authenticated with a fresh token of that user."""
    from rest_framework.test import APIClient

    from api.models import ApiToken

    def make(user):
        client = APIClient()
        _token, key = ApiToken.objects.create_for(user, "test")
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return make
