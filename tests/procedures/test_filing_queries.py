"""What filing a request costs in SQL queries, stated exactly so that a regression shows, and how its
outbox events reach the commune: by the worker's delivery job (the default), or right after commit
when ENGINE_OUTBOX_DISPATCH_ON_COMMIT is set."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from engine import outbox
from engine.models import OutboxEvent
from procedures.models import Notification
from tests.procedures.helpers_actions import file

# Budget of do_file_request for a normal request without attachments (in a test, the action runs in a
# savepoint: 2 of the queries below are SAVEPOINT / RELEASE, which production does not run: the filing
# is the transaction, and opening its case takes no savepoint of its own).
#   validation and routing (3): the catalogue's stamp (the category's attributes and criteria, the
#     published version and the service levels then come from the per-process cache keyed on it:
#     procedures/catalogue_cache.py), the routing index's stamp (the handler unit, the commune and the
#     dispatching CTC come from the per-process cache keyed on that stamp), the version check of the
#     sub-sector procedures' index
#   reference (1): UPDATE ... RETURNING
#   case (6): INSERT case, role holders (one INSERT), both deadlines in one INSERT, all their escalation
#     points in one INSERT, INSERT audit entry, INSERT outbox event case.opened
#   request (1): one INSERT, with its case
#   message to the commune (2): INSERT message, INSERT outbox event request.message
FILING_QUERIES = 3 + 1 + 6 + 1 + 2 + 2
# The worker's delivery round, whatever the number of events it takes (each consumer's batch runs in a
# savepoint here, a transaction in production: 2 x 2 queries):
#   claim (3): pending ids, UPDATE lease, SELECT leased
#   notifications (9): requests, handler unit tree, handler users, the commune's pending messages,
#     their claim, followers, the commune's users, preferences (one for every notification), one INSERT
#   webhooks (1): active subscriptions (none here)
#   mark delivered (1): one UPDATE
DELIVERY_QUERIES = 3 + 9 + 1 + 1 + 4


def test_filing_a_request_runs_a_fixed_number_of_queries_and_leaves_delivery_to_the_worker(
    requests_world, bulky, django_capture_on_commit_callbacks
):
    world = requests_world
    file(world, bulky)  # the first filing fills the per-process caches (calendar, routing layers)
    outbox.dispatch()
    with (
        CaptureQueriesContext(connection) as filing,
        django_capture_on_commit_callbacks(execute=False) as callbacks,
    ):
        request = file(world, bulky, description="Un autre canapé.")
    assert len(filing.captured_queries) == FILING_QUERIES, [q["sql"][:120] for q in filing.captured_queries]
    assert callbacks == []  # nothing is delivered in the request
    events = OutboxEvent.objects.filter(case_id=request.case_id).order_by("pk")
    assert [(e.kind, e.delivered_at) for e in events] == [("case.opened", None), ("request.message", None)]
    with CaptureQueriesContext(connection) as delivery:
        assert outbox.dispatch() == 2
    assert len(delivery.captured_queries) == DELIVERY_QUERIES, [
        q["sql"][:120] for q in delivery.captured_queries
    ]
    assert all(e.delivered_at is not None for e in events.all())
    assert Notification.objects.filter(request=request, user=world.commune_user, event="message").count() == 1
    assert Notification.objects.filter(request=request, user=world.ctc_agent, event="filed").count() == 1


def test_a_delivery_round_runs_the_same_queries_for_ten_filings_as_for_one(requests_world, bulky):
    world = requests_world
    file(world, bulky)
    outbox.dispatch()
    for index in range(10):
        file(world, bulky, description=f"Canapé {index}.")
    with CaptureQueriesContext(connection) as delivery:
        assert outbox.dispatch() == 20
    assert len(delivery.captured_queries) == DELIVERY_QUERIES, [
        q["sql"][:120] for q in delivery.captured_queries
    ]
    assert Notification.objects.filter(user=world.commune_user, event="message").count() == 11
    assert Notification.objects.filter(user=world.ctc_agent, event="filed").count() == 11
    assert not OutboxEvent.objects.filter(delivered_at=None).exists()


def test_with_dispatch_on_commit_the_filing_delivers_its_events_right_after_commit(
    requests_world, bulky, django_capture_on_commit_callbacks, settings
):
    settings.ENGINE_OUTBOX_DISPATCH_ON_COMMIT = True
    world = requests_world
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        request = file(world, bulky)
    assert len(callbacks) == 1  # one delivery round for the whole filing
    events = OutboxEvent.objects.filter(case_id=request.case_id).order_by("pk")
    assert [(e.kind, e.delivered_at is not None) for e in events] == [
        ("case.opened", True),
        ("request.message", True),
    ]
    assert Notification.objects.filter(request=request, user=world.commune_user, event="message").count() == 1


def test_outside_a_bumping_transaction_a_filing_reads_the_counters_at_most_once_per_delay(
    requests_world, bulky, settings, monkeypatch
):
    """In production a filing is its own transaction and bumps nothing: the routing, sub-sector and
    catalogue caches share one read of LayerVersion's counters, made at most once every
    ROUTING_INDEX_CHECK_MS (directory.routing.current_counters)."""
    from directory import models as directory_models
    from directory import routing

    settings.ROUTING_INDEX_CHECK_MS = 1000
    clock = [1000.0]
    monkeypatch.setattr(routing, "_clock", lambda: clock[0])
    monkeypatch.setattr(directory_models, "bumped_in_open_transaction", lambda: False)
    monkeypatch.setattr(routing, "bumped_in_open_transaction", lambda: False)  # as outside the test's
    file(requests_world, bulky)  # warms the caches and reads the counters
    with CaptureQueriesContext(connection) as filing:
        file(requests_world, bulky, description="Un autre canapé.")
    counters = [q for q in filing.captured_queries if "directory_layerversion" in q["sql"]]
    assert counters == [] and len(filing.captured_queries) == FILING_QUERIES - 3
    clock[0] += 1.1  # past the delay: one read, for the three caches
    with CaptureQueriesContext(connection) as filing:
        file(requests_world, bulky, description="Encore un canapé.")
    counters = [q for q in filing.captured_queries if "directory_layerversion" in q["sql"]]
    assert len(counters) == 1 and len(filing.captured_queries) == FILING_QUERIES - 2
