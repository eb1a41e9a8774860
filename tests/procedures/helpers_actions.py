"""Shortcuts for the action-layer tests."""

import datetime
from zoneinfo import ZoneInfo

from engine.models import AuditEntry, OutboxEvent
from engine.outbox import dispatch
from procedures.actions import do_file_request
from tests.factories import POINT_IN_COMMUNE_1

PARIS = ZoneInfo("Europe/Paris")


def paris(*args):
    return datetime.datetime(*args, tzinfo=PARIS)


def file(world, category, user=None, point=POINT_IN_COMMUNE_1, **extra):
    extra.setdefault("description", "Un canapé abandonné devant l'entrée.")
    return do_file_request(
        acting_user=user or world.commune_user, category=category, lon=point[0], lat=point[1], **extra
    )


def audit_events(request):
    return list(
        AuditEntry.objects.filter(case_id=request.case_id)
        .order_by("pk")
        .values_list("event", "to_state", "actor__username")
    )


def outbox_kinds(request):
    return list(
        OutboxEvent.objects.filter(case_id=request.case_id).order_by("pk").values_list("kind", flat=True)
    )


def deliver():
    """What the worker does after commit: deliver the outbox (tests run inside one transaction)."""
    return dispatch()
