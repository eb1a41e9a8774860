"""The sweeper's bulk helpers: COPY writes the same rows as bulk_create; light instances match from_db."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db.models.signals import post_init

from engine import bulk, sweeper
from engine.models import AuditEntry, Case, EscalationPoint, OutboxEvent
from tests.engine.helpers import open_case, publish

PARIS = ZoneInfo("Europe/Paris")
AWKWARD = "tab\there, new\nline, back\\slash, quote ' \" and é"


def _rows(case):
    at = datetime(2026, 3, 2, 9, 0, tzinfo=PARIS)
    return [
        {
            "case_id": case.pk,
            "kind": "notification",
            "payload": {"case": case.pk, "text": AWKWARD, "parties": [], "nested": {"n": 1.5}},
            "created_at": at,
        },
        {"case_id": None, "kind": "bare", "payload": {}, "created_at": at, "last_error": AWKWARD},
    ]


COLUMNS = [
    field.attname
    for field in OutboxEvent._meta.concrete_fields
    if not field.primary_key and field.attname != "created_at"
]


@pytest.mark.postgres
@pytest.mark.django_db
def test_copy_writes_the_same_rows_as_bulk_create(world, time_machine, on_postgres, monkeypatch):
    if not on_postgres:
        pytest.skip("COPY is the PostgreSQL path")
    time_machine.move_to(datetime(2026, 3, 2, 9, 0, tzinfo=PARIS), tick=False)
    publish()
    case = open_case(world)
    OutboxEvent.objects.all().delete()
    bulk.insert_rows(OutboxEvent, _rows(case), need_ids=True)  # bulk_create
    created = list(OutboxEvent.objects.order_by("pk").values_list(*COLUMNS))
    OutboxEvent.objects.all().delete()
    monkeypatch.setattr(bulk, "COPY_THRESHOLD", 1)
    assert bulk.insert_rows(OutboxEvent, _rows(case)) is None  # COPY: no instances back
    copied = list(OutboxEvent.objects.order_by("pk").values_list(*COLUMNS))
    assert copied == created
    assert copied[0][COLUMNS.index("payload")]["text"] == AWKWARD
    assert copied[0][COLUMNS.index("payload")]["nested"] == {"n": 1.5}
    assert copied[1][COLUMNS.index("last_error")] == AWKWARD
    assert copied[1][COLUMNS.index("delivered_to")] == []  # the default of a column left out


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_sweep_through_copy_writes_complete_audit_and_outbox_rows(
    world, time_machine, on_postgres, monkeypatch
):
    if not on_postgres:
        pytest.skip("COPY is the PostgreSQL path")
    monkeypatch.setattr(bulk, "COPY_THRESHOLD", 1)
    time_machine.move_to(datetime(2026, 3, 2, 9, 0, tzinfo=PARIS), tick=False)
    publish()
    cases = [open_case(world) for _ in range(3)]
    wednesday = datetime(2026, 3, 4, 9, 0, tzinfo=PARIS)
    assert sweeper.sweep(now=wednesday) == 6
    entries = AuditEntry.objects.filter(event="escalation").order_by("pk")
    assert sorted((entry.case_id, entry.from_state, entry.reason, entry.fields) for entry in entries) == [
        (case.pk, "submitted", "", {}) for case in cases for _ in range(2)
    ]
    points = {point.pk: point for point in EscalationPoint.objects.exclude(fired_at=None)}
    assert {entry.data["point"] for entry in entries} == set(points)
    notifications = OutboxEvent.objects.filter(kind="notification").order_by("pk")
    assert [(event.case_id, event.attempts, event.delivered_to) for event in notifications] == [
        (case.pk, 0, []) for case in cases
    ]


@pytest.mark.django_db
def test_light_instances_match_from_db(world, time_machine):
    time_machine.move_to(datetime(2026, 3, 2, 9, 0, tzinfo=PARIS), tick=False)
    publish()
    case = open_case(world, data={"note": "x"})
    fields = ("id", "version_id", "state", "data")
    row = (case.pk, case.version_id, case.state, case.data)
    (light,) = bulk.instances(Case, fields, [row])
    reference = Case.from_db("default", fields, row)
    assert (light.pk, light.version_id, light.state, light.data) == row
    assert light._state.adding is False and light._state.db == "default"
    assert light.get_deferred_fields() == reference.get_deferred_fields()
    assert "reference" in light.get_deferred_fields()
    assert light.reference == case.reference  # a deferred field loads on access, as with from_db
    assert light.version == case.version


@pytest.mark.django_db
def test_light_instances_fall_back_to_from_db_when_init_signals_are_listened_to(world):
    seen = []

    def listener(sender, instance, **kwargs):
        seen.append(instance.pk)

    post_init.connect(listener, sender=Case)
    try:
        (case,) = bulk.instances(Case, ("id", "state"), [(41, "submitted")])
    finally:
        post_init.disconnect(listener, sender=Case)
    assert seen == [41] and case.state == "submitted"
