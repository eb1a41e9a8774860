"""Sessions end after SESSION_IDLE_SECONDS without activity; sign-in and failures are logged without
passwords, names or tokens."""

import logging
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from tests.factories import PASSWORD


def test_a_session_ends_after_the_idle_time_and_activity_pushes_the_end_back(people, client, time_machine):
    start = timezone.now()
    time_machine.move_to(start)
    client.force_login(people.referent)
    for hours in (7, 14):  # active every 7 hours: still signed in after 14
        time_machine.move_to(start + timedelta(hours=hours))
        assert client.get(reverse("people")).status_code == 200
    time_machine.move_to(start + timedelta(hours=14 + 8, seconds=1))
    response = client.get(reverse("people"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_sign_in_and_failures_are_logged_without_secrets(people, client, caplog):
    with caplog.at_level(logging.INFO, logger="gup.auth"):
        client.post(reverse("login"), {"username": "referent", "password": "wrong-secret"})
        client.post(reverse("login"), {"username": "referent", "password": PASSWORD})
    lines = [record.getMessage() for record in caplog.records if record.name == "gup.auth"]
    assert lines[0].startswith("login failed account=") and "address=127.0.0.1" in lines[0]
    assert lines[1] == f"login succeeded user={people.referent.pk} address=127.0.0.1"
    text = "\n".join(lines)
    assert "wrong-secret" not in text and PASSWORD not in text and "referent" not in text
