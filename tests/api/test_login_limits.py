"""Issue 11: failed logins are limited per account and per address on the web login, the admin login
and the token endpoint, with a French message saying when to retry; the limit holds under concurrent
attempts; counters end with their window."""

import threading

import pytest
from django.core.cache import cache
from django.test import Client

from api.models import ApiAuditEntry, ApiToken
from gup import login_limits
from tests.factories import PASSWORD

LOCKED_FR = "Trop de tentatives de connexion échouées. Réessayez dans 15 minutes (à 09:15)."


@pytest.fixture(autouse=True)
def _limits(settings, time_machine):
    settings.LOGIN_MAX_FAILURES = 5
    settings.LOGIN_MAX_FAILURES_PER_ADDRESS = 20
    settings.LOGIN_FAILURE_WINDOW_SECONDS = 900
    time_machine.move_to("2026-03-02 09:00:00+01:00", tick=False)
    cache.clear()
    yield
    cache.clear()


def token_attempt(api, password, username="ctc", address="10.0.0.1"):
    return api.post(
        "/api/v1/auth/token/",
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        format="json",
    )


def test_the_token_endpoint_answers_429_in_french_after_five_failures_even_to_the_right_password(api, world):
    for _attempt in range(5):
        assert token_attempt(api, "wrong").status_code == 400
    locked = token_attempt(api, PASSWORD)
    assert locked.status_code == 429
    assert locked.json()["code"] == "too_many_login_failures"
    assert locked.json()["detail"] == LOCKED_FR
    assert locked["Retry-After"] == "901"
    assert ApiToken.objects.count() == 0 and ApiAuditEntry.objects.count() == 0


def test_the_account_limit_holds_from_any_address_and_ends_with_its_window(api, world, time_machine):
    for n in range(5):
        token_attempt(api, "wrong", address=f"10.0.1.{n}")
    assert token_attempt(api, PASSWORD, address="10.0.9.9").status_code == 429
    assert (
        token_attempt(api, PASSWORD, username="waste", address="10.0.9.9").status_code == 201
    )  # other account
    time_machine.move_to("2026-03-02 09:14:59+01:00", tick=False)
    assert token_attempt(api, PASSWORD).status_code == 429
    time_machine.move_to("2026-03-02 09:15:01+01:00", tick=False)
    issued = token_attempt(api, PASSWORD)
    assert issued.status_code == 201
    token = ApiToken.objects.get(user=world.ctc_agent)
    assert (
        ApiAuditEntry.objects.filter(event="token_issued", object_id=token.pk, actor=world.ctc_agent).count()
        == 1
    )


def test_a_success_clears_the_accounts_failures(api, world):
    for _attempt in range(4):
        token_attempt(api, "wrong")
    assert token_attempt(api, PASSWORD).status_code == 201
    for _attempt in range(4):
        assert token_attempt(api, "wrong").status_code == 400
    assert token_attempt(api, PASSWORD).status_code == 201


def test_one_address_is_limited_across_accounts(api, world, settings):
    settings.LOGIN_MAX_FAILURES_PER_ADDRESS = 3
    for username in ("ctc", "waste", "dvq"):
        assert token_attempt(api, "wrong", username=username).status_code == 400
    assert token_attempt(api, PASSWORD, username="ctc-lead").status_code == 429
    assert token_attempt(api, PASSWORD, username="ctc-lead", address="10.0.0.2").status_code == 201


def test_concurrent_attempts_check_at_most_the_limit_of_passwords(world, monkeypatch):
    """Twenty threads at once on one account: five passwords are checked, the others are refused."""
    from django.contrib.auth import backends

    checked, lock = [], threading.Lock()
    original = backends.ModelBackend.authenticate
    barrier = threading.Barrier(20)

    def counting(self, request, username=None, password=None, **kwargs):
        with lock:
            checked.append(username)
        return None  # a wrong password, without a database round trip in the thread

    monkeypatch.setattr(backends.ModelBackend, "authenticate", counting)
    outcomes = []

    class Request:
        META = {"REMOTE_ADDR": "10.0.0.1"}

    def attempt():
        barrier.wait()
        try:
            limited = login_limits.begin(Request, "ctc")
        except login_limits.LockedOut:
            outcomes.append("locked")
            return
        backends.ModelBackend.authenticate(None, None, username="ctc", password="wrong")
        limited.failed()
        outcomes.append("failed")

    threads = [threading.Thread(target=attempt) for _n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    monkeypatch.setattr(backends.ModelBackend, "authenticate", original)
    assert len(checked) == 5
    assert sorted(outcomes) == ["failed"] * 5 + ["locked"] * 15


def web_login(client, password, path="/accounts/login/", username="ctc"):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR="10.0.0.1")


def test_the_web_login_locks_after_five_failures_with_the_french_message(world):
    client = Client()
    for _attempt in range(5):
        assert web_login(client, "wrong").status_code == 200
    locked = web_login(client, PASSWORD)
    assert locked.status_code == 200
    assert LOCKED_FR in locked.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get("/queue/").status_code == 302  # not logged in


def test_the_admin_login_locks_after_five_failures_with_the_french_message(world):
    client = Client()
    for _attempt in range(5):
        assert web_login(client, "wrong", path="/admin/login/", username="admin").status_code == 200
    locked = web_login(client, PASSWORD, path="/admin/login/", username="admin")
    assert locked.status_code == 200
    assert LOCKED_FR in locked.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302  # still not logged in


def test_the_web_login_and_the_token_endpoint_share_one_counter(api, world):
    client = Client()
    for _attempt in range(3):
        web_login(client, "wrong")
    for _attempt in range(2):
        token_attempt(api, "wrong")
    assert token_attempt(api, PASSWORD).status_code == 429
    assert LOCKED_FR in web_login(client, PASSWORD).content.decode()


def test_the_message_is_in_english_for_english_users(api, world):
    for _attempt in range(5):
        token_attempt(api, "wrong")
    locked = api.post(
        "/api/v1/auth/token/",
        {"username": "ctc", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.1",
        HTTP_ACCEPT_LANGUAGE="en",
        format="json",
    )
    assert locked.json()["detail"] == "Too many failed login attempts. Try again in 15 minutes (at 09:15)."
    assert locked["Retry-After"] == "901"
