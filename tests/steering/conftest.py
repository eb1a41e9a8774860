import datetime
from zoneinfo import ZoneInfo

import pytest

from directory.models import User
from engine.models import OutboxEvent
from engine.outbox import dispatch
from steering.models import SteeringAuditEntry

PARIS = ZoneInfo("Europe/Paris")


def paris(*args):
    return datetime.datetime(*args, tzinfo=PARIS)


def deliver():
    """What the worker does after commit (tests run inside one transaction)."""
    return dispatch()


def steering_events():
    return list(
        OutboxEvent.objects.filter(kind__startswith="steering.").order_by("pk").values_list("kind", flat=True)
    )


def audit_events():
    return list(SteeringAuditEntry.objects.order_by("pk").values_list("event", flat=True))


def ensure_meeting_kinds():
    """The five shipped kinds, as migration 0002 makes them (a transactional test elsewhere may have
    flushed the tables since)."""
    from importlib import import_module

    from django.apps import apps

    import_module("steering.migrations.0002_shipped_meeting_kinds").add_kinds(apps, None)


@pytest.fixture(autouse=True)
def _meeting_kinds(request):
    if request.node.get_closest_marker("django_db") or "db" in request.fixturenames:
        request.getfixturevalue("db")
        ensure_meeting_kinds()


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def people(world):
    """The test territory with an e-mail address for everyone."""
    for user in User.objects.all():
        user.email = f"{user.username}@example.org"
        user.save(update_fields=["email"])
    for name in (
        "commune_user",
        "commune_2_user",
        "dvq_officer",
        "ctc_agent",
        "landlord_agent",
        "admin_user",
    ):
        getattr(world, name).refresh_from_db()
    return world


@pytest.fixture
def now(time_machine):
    """Tuesday 1 October 2026, 09:00 in Paris (summer time until 25 October)."""
    time_machine.move_to(paris(2026, 10, 1, 9, 0), tick=False)
    return paris(2026, 10, 1, 9, 0)
