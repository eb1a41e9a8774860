"""What filing a request costs in SQL queries, stated exactly so that a regression shows."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from engine.models import OutboxEvent
from procedures.models import Notification
from tests.procedures.helpers_actions import file

# Budget of do_file_request for a normal request without attachments, then of the delivery of its
# outbox events right after commit (in a test, each action runs in a savepoint: 2 + 2 of the queries
# below are SAVEPOINT / RELEASE, which production does not run: the filing is the transaction).
#   validation and routing (6): category attributes, layer version check of the routing cache, handler
#     unit, commune, dispatching CTC, version check of the sub-sector procedures' index
#   request (3): reference (UPDATE ... RETURNING), INSERT request, UPDATE request.case
#   case (10): latest published version with its procedure, INSERT case, role holders (one INSERT),
#     service level (one SELECT for both deadlines), 2 x (INSERT deadline, INSERT its points),
#     INSERT audit entry, INSERT outbox event case.opened
#   message to the commune (2): INSERT message, INSERT outbox event request.message
#   after commit, one dispatch for both events (15): claim (UPDATE + SELECT); notifications of
#     case.opened (request, handler units, users, preferences, INSERT notifications), the message to the
#     commune (pending messages, mark them notified, users with the followers' organisations as a
#     subquery, preferences, INSERT notifications);
#     webhooks (active subscriptions, once per event); mark both delivered (one UPDATE)
FILING_QUERIES = 6 + 3 + 10 + 2 + 4
DELIVERY_QUERIES = 15


def test_filing_a_request_runs_a_fixed_number_of_queries(
    requests_world, bulky, django_capture_on_commit_callbacks
):
    world = requests_world
    with django_capture_on_commit_callbacks(execute=True):
        file(world, bulky)  # the first filing fills the per-process caches (calendar, routing layers)
    with (
        CaptureQueriesContext(connection) as filing,
        django_capture_on_commit_callbacks(execute=False) as callbacks,
    ):
        request = file(world, bulky, description="Un autre canapé.")
    assert len(filing.captured_queries) == FILING_QUERIES, [q["sql"][:120] for q in filing.captured_queries]
    assert len(callbacks) == 1  # one delivery round for the whole filing
    with CaptureQueriesContext(connection) as delivery:
        callbacks[0]()
    assert len(delivery.captured_queries) == DELIVERY_QUERIES, [
        q["sql"][:120] for q in delivery.captured_queries
    ]
    events = OutboxEvent.objects.filter(case_id=request.case_id).order_by("pk")
    assert [(e.kind, e.delivered_at is not None) for e in events] == [
        ("case.opened", True),
        ("request.message", True),
    ]
    assert Notification.objects.filter(request=request, user=world.commune_user, event="message").count() == 1
