"""Webhooks against a real HTTP receiver on 127.0.0.1 that goes down and comes back."""

import contextlib
import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail
from django.utils import timezone

from api import webhooks
from api.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from engine import outbox
from engine.actions import do_comment, do_fire_transition
from tests.engine.helpers import open_case, publish


class Receiver:
    """An HTTP server in a thread that records what it is sent; stop() and start() on the same port."""

    def __init__(self, status=204):
        self.received = []
        self.status = status
        self.port = 0
        self.server = None

    def start(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((self.headers, body))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/hook"

    def events(self, secret):
        out = []
        for headers, body in self.received:
            expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            assert hmac.compare_digest(headers["X-GUP-Signature"], expected), "bad signature"
            payload = json.loads(body)
            assert headers["X-GUP-Event-Id"] == payload["id"]
            out.append(payload)
        return out


@pytest.fixture(autouse=True)
def _only_the_webhook_consumer(monkeypatch):
    """Other consumers (email, in-app) are tested by their owners; here the outbox feeds webhooks only."""
    from engine import registry

    monkeypatch.setattr(registry, "CONSUMERS", {"webhooks": webhooks.consume})


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    with contextlib.suppress(Exception):  # already stopped by the test
        server.stop()


ALL_TYPES = [
    "request.created",
    "request.state_changed",
    "request.commented",
    "request.message",
    "alert.raised",
    "alert.answered",
]


def subscribe(world, url, types=ALL_TYPES, organisation=None, user=None):
    return WebhookSubscription.objects.create(
        organisation=organisation or world.cu, created_by=user or world.admin_user, url=url, event_types=types
    )


def test_events_reach_a_receiver_that_goes_down_and_comes_back_once_each_in_order_signed(
    world, receiver, time_machine
):
    time_machine.move_to("2026-03-02 09:00:00+01:00")
    publish()
    subscription = subscribe(world, receiver.url)
    case = open_case(world)
    do_fire_transition(case, "acknowledge", acting_user=world.ctc_agent)
    assert outbox.dispatch() == 3  # opened, transition, and a notification (not a webhook type)
    assert WebhookDelivery.objects.filter(subscription=subscription).count() == 2
    assert webhooks.deliver_due() == 2
    first = receiver.events(subscription.secret)
    assert [e["type"] for e in first] == ["request.created", "request.state_changed"]

    receiver.stop()
    do_fire_transition(case, "wait", acting_user=world.ctc_agent, fields={"until": "2026-03-10"})
    do_comment(case, acting_user=world.ctc_agent, body="Pièce commandée")
    do_comment(case, acting_user=world.ctc_agent, body="note interne", internal=True)
    other = open_case(world)
    outbox.dispatch()
    assert WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).count() == 3  # not the internal one
    assert webhooks.deliver_due() == 0
    failed = WebhookDelivery.objects.filter(status="pending", attempts=1).get()
    assert failed.status == DeliveryStatus.PENDING and "Connection" in failed.last_error
    assert failed.next_attempt_at == failed.last_attempt_at + timedelta(seconds=30)
    subscription.refresh_from_db()
    assert subscription.consecutive_failures == 1 and subscription.is_active

    for minutes in (1, 3, 7):  # still down: the backoff grows
        time_machine.move_to(timezone.now() + timedelta(minutes=minutes))
        assert webhooks.deliver_due() == 0
    assert WebhookDelivery.objects.filter(attempts__gt=0, status="pending").count() == 1
    failed.refresh_from_db()
    assert failed.attempts == 4
    assert failed.next_attempt_at - failed.last_attempt_at == timedelta(seconds=240)

    receiver.start()  # same port
    time_machine.move_to(timezone.now() + timedelta(minutes=5))
    assert webhooks.deliver_due() == 3
    assert WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).count() == 0
    events = receiver.events(subscription.secret)
    ids = [e["id"] for e in events]
    assert len(ids) == len(set(ids)) == 5  # each once
    for case_id in (case.pk, other.pk):
        ordered = [int(e["id"]) for e in events if e["case"] == case_id]
        assert ordered == sorted(ordered)
    of_case = [e["type"] for e in events if e["case"] == case.pk]
    assert of_case == [
        "request.created",
        "request.state_changed",
        "request.state_changed",
        "request.commented",
    ]
    assert events[2]["data"]["to"] == "waiting"
    subscription.refresh_from_db()
    assert subscription.consecutive_failures == 0
    assert webhooks.deliver_due() == 0  # nothing sent twice


def test_the_consumer_is_idempotent_and_filters_by_event_type(world, receiver):
    publish()
    created_only = subscribe(world, receiver.url, types=["request.created"])
    inactive = subscribe(world, receiver.url)
    inactive.is_active = False
    inactive.save()
    case = open_case(world)
    do_fire_transition(case, "acknowledge", acting_user=world.ctc_agent)
    from engine.models import OutboxEvent

    events = list(OutboxEvent.objects.filter(case=case).order_by("pk"))
    for event in events + events:
        webhooks.consume(event)
    assert list(WebhookDelivery.objects.values_list("subscription_id", "event_type")) == [
        (created_only.pk, "request.created")
    ]


def test_an_endpoint_that_keeps_failing_is_disabled_and_its_owner_told(
    world, receiver, settings, time_machine
):
    time_machine.move_to("2026-03-02 09:00:00+01:00")
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 3
    receiver.status = 500
    world.cu.email = "systemes@cu.example"
    world.cu.save()
    publish()
    subscription = subscribe(world, receiver.url)
    open_case(world)
    outbox.dispatch()
    for _attempt in range(3):
        webhooks.deliver_due()
        time_machine.move_to(timezone.now() + timedelta(hours=1))
    subscription.refresh_from_db()
    assert not subscription.is_active and subscription.disabled_at is not None
    assert subscription.consecutive_failures == 3 and subscription.disabled_reason == "HTTP 500"
    assert len(receiver.received) == 3
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["systemes@cu.example"]
    assert receiver.url in mail.outbox[0].body
    assert webhooks.deliver_due() == 0 and len(receiver.received) == 3  # disabled: no more posts
    assert WebhookDelivery.objects.get().status == DeliveryStatus.PENDING  # kept for when it is enabled


def test_a_delivery_is_given_up_after_a_day(world, receiver, settings, time_machine):
    time_machine.move_to("2026-03-02 09:00:00+01:00")
    receiver.stop()
    publish()
    subscribe(world, receiver.url)
    open_case(world)
    outbox.dispatch()
    webhooks.deliver_due()
    time_machine.move_to("2026-03-03 09:00:01+01:00")
    webhooks.deliver_due()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 2


def test_an_organisation_manages_its_subscriptions_and_reads_its_delivery_log(as_user, world, receiver):
    client = as_user(world.commune_user)
    created = client.post(
        "/api/v1/webhooks/subscriptions/",
        {"url": receiver.url, "event_types": ["request.created", "request.message"]},
        format="json",
    )
    assert created.status_code == 201
    body = created.json()
    assert body["organisation"] == "commune-1" and len(body["secret"]) == 64
    subscription = WebhookSubscription.objects.get(pk=body["id"])
    assert subscription.created_by == world.commune_user
    assert "secret" not in client.get(f"/api/v1/webhooks/subscriptions/{subscription.pk}/").json()
    other = as_user(world.commune_2_user)
    assert other.get(f"/api/v1/webhooks/subscriptions/{subscription.pk}/").status_code == 404
    assert other.get("/api/v1/webhooks/subscriptions/").json()["count"] == 0
    bad = client.post(
        "/api/v1/webhooks/subscriptions/", {"url": "ftp://x.example/", "event_types": ["nope"]}, format="json"
    )
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"url", "event_types"}
    assert WebhookSubscription.objects.count() == 1
    agent = as_user(world.ctc_agent)
    refused = agent.post(
        "/api/v1/webhooks/subscriptions/", {"url": receiver.url, "event_types": ["alert.raised"]}
    )
    assert refused.status_code == 403 and WebhookSubscription.objects.count() == 1

    subscription.is_active = False
    subscription.consecutive_failures = 20
    subscription.save()
    enabled = client.patch(
        f"/api/v1/webhooks/subscriptions/{subscription.pk}/", {"is_active": True}, format="json"
    )
    assert enabled.status_code == 200
    subscription.refresh_from_db()
    assert subscription.is_active and subscription.consecutive_failures == 0

    WebhookDelivery.objects.create(
        subscription=subscription, event_id=1, event_type="request.created", ordering_key="case:1", body={}
    )
    log = client.get(f"/api/v1/webhooks/deliveries/?subscription={subscription.pk}").json()
    assert [d["event_id"] for d in log["results"]] == [1]
    assert other.get("/api/v1/webhooks/deliveries/").json()["count"] == 0


def test_a_commune_subscription_gets_only_events_of_requests_its_creator_may_see(world, receiver, potholes):
    from procedures.actions import do_file_request
    from tests.factories import POINT_IN_COMMUNE_1

    mine = subscribe(
        world, receiver.url, types=["request.created"], organisation=world.commune, user=world.commune_user
    )
    theirs = subscribe(world, receiver.url, organisation=world.commune_2, user=world.commune_2_user)
    request = do_file_request(
        acting_user=world.commune_user,
        category="potholes",
        description="Trou",
        lon=POINT_IN_COMMUNE_1[0],
        lat=POINT_IN_COMMUNE_1[1],
    )
    outbox.dispatch()
    assert WebhookDelivery.objects.filter(subscription=theirs).count() == 0
    delivery = WebhookDelivery.objects.get(subscription=mine)
    assert delivery.event_type == "request.created" and delivery.body["reference"] == request.reference
    assert webhooks.deliver_due() == 1
    (event,) = receiver.events(mine.secret)
    assert event["case"] == request.case_id and event["type"] == "request.created"


def test_messages_to_the_commune_are_delivered_once_each_after_their_event(world, receiver, potholes):
    from procedures.actions import do_file_request, do_transition_request
    from procedures.models import RequestMessage
    from tests.factories import POINT_IN_COMMUNE_1

    subscription = subscribe(
        world,
        receiver.url,
        types=["request.state_changed", "request.message"],
        organisation=world.commune,
        user=world.commune_user,
    )
    request = do_file_request(
        acting_user=world.commune_user,
        category="potholes",
        description="Trou",
        lon=POINT_IN_COMMUNE_1[0],
        lat=POINT_IN_COMMUNE_1[1],
    )
    outbox.dispatch()
    do_transition_request(request, "acknowledge", acting_user=world.ctc_agent)
    outbox.dispatch()
    outbox.dispatch()  # nothing new: the consumer is idempotent
    messages = list(RequestMessage.objects.filter(request=request).order_by("pk"))
    assert len(messages) >= 2
    assert webhooks.deliver_due() == len(messages) + 1
    events = receiver.events(subscription.secret)
    assert [e["id"] for e in events if e["type"] == "request.message"] == [
        f"message-{m.pk}" for m in messages
    ]
    assert [e["type"] for e in events][-2:] == ["request.state_changed", "request.message"]
    assert events[-1]["data"] == {"kind": messages[-1].kind, "body": messages[-1].body}
