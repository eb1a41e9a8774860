import pytest


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The territory creates a dozen users; the default hasher would spend seconds on each test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
