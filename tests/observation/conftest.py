from tests.procedures.conftest import bulky, fast_password_hashing, procedure, requests_world  # noqa: F401
