"""Helpers for engine tests: publish the test procedure, open a case with the world's users as holders."""

from directory.access import role_key, unit_key, user_key
from engine.actions import do_open_case, do_store_version
from engine.models import AuditEntry, OutboxEvent
from tests.engine.conftest import FULL_YAML


def publish(text=FULL_YAML):
    return do_store_version(text, acting_user=None, publish=True)


def holders_for(world):
    return {
        "requester": [user_key(world.commune_user)],
        "dispatcher": [unit_key(world.ctc, "supervisor")],
        "handler": [unit_key(world.ctc)],
        "supervisor": [user_key(world.ctc_lead)],
        "dvq": [role_key("dvq_officer")],
    }


def open_case(world, holders=None, **kwargs):
    return do_open_case(
        "repair", acting_user=world.commune_user, role_holders=holders or holders_for(world), **kwargs
    )


def events(case, kind=None):
    rows = OutboxEvent.objects.filter(case=case).order_by("pk")
    if kind:
        rows = rows.filter(kind=kind)
    return list(rows)


def audit(case):
    return list(
        AuditEntry.objects.filter(case=case).order_by("pk").values_list("event", "from_state", "to_state")
    )
