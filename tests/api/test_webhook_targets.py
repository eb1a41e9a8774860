"""Webhook targets: private, loopback, link-local, multicast and reserved addresses are refused."""

import os
import socket
import subprocess
import sys
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from django.utils import timezone

from api import webhooks
from api.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from engine import outbox
from tests.api.test_webhooks import Receiver, subscribe
from tests.engine.helpers import open_case, publish

BASE = Path(__file__).resolve().parents[2]
HOST = "hooks.example.org"
real_getaddrinfo = socket.getaddrinfo


@pytest.fixture
def dns(monkeypatch):
    """dns[HOST] = "address": what HOST resolves to; other names resolve as usual."""
    table = {}

    def getaddrinfo(host, port, *args, **kwargs):
        if host in table:
            address = table[host]
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            sockaddr = (
                (address, int(port or 0), 0, 0) if family == socket.AF_INET6 else (address, int(port or 0))
            )
            return [(family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", sockaddr)]
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return table


@pytest.fixture
def guarded(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False


@pytest.fixture(autouse=True)
def _only_the_webhook_consumer(monkeypatch):
    from engine import registry

    monkeypatch.setattr(registry, "CONSUMERS", {"webhooks": webhooks.consume})


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.0.10", "private"),
        ("169.254.169.254", "link-local"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("::1", "loopback"),
        ("fe80::1", "link-local"),
        ("::ffff:10.0.0.1", "private"),
    ],
)
def test_it_refuses_a_subscription_whose_host_resolves_to_a_non_public_address(
    as_user, world, guarded, dns, address, reason
):
    dns[HOST] = address
    response = as_user(world.commune_user).post(
        "/api/v1/webhooks/subscriptions/",
        {"url": f"https://{HOST}/hook", "event_types": ["request.created"]},
        format="json",
    )
    assert response.status_code == 400
    (message,) = response.json()["errors"]["url"]
    assert HOST in message and address.replace("::ffff:", "") in message and reason in message
    assert WebhookSubscription.objects.count() == 0


def test_it_refuses_a_literal_loopback_address_and_a_host_that_does_not_resolve(as_user, world, guarded):
    client = as_user(world.commune_user)
    literal = client.post(
        "/api/v1/webhooks/subscriptions/",
        {"url": "http://127.0.0.1:8000/hook", "event_types": ["request.created"]},
        format="json",
    )
    assert literal.status_code == 400 and "loopback" in literal.json()["errors"]["url"][0]
    unknown = client.post(
        "/api/v1/webhooks/subscriptions/",
        {"url": "https://no-such-host.invalid/hook", "event_types": ["request.created"]},
        format="json",
    )
    assert unknown.status_code == 400
    assert "n'a pas pu être résolu" in unknown.json()["errors"]["url"][0]
    assert WebhookSubscription.objects.count() == 0


def test_it_accepts_a_public_address_and_refuses_a_change_to_a_private_one(as_user, world, guarded, dns):
    dns[HOST] = "93.184.216.34"
    dns["intranet.example.org"] = "172.16.4.2"
    client = as_user(world.commune_user)
    created = client.post(
        "/api/v1/webhooks/subscriptions/",
        {"url": f"https://{HOST}/hook", "event_types": ["request.created"]},
        format="json",
    )
    assert created.status_code == 201
    pk = created.json()["id"]
    changed = client.patch(
        f"/api/v1/webhooks/subscriptions/{pk}/", {"url": "https://intranet.example.org/hook"}, format="json"
    )
    assert changed.status_code == 400
    assert "172.16.4.2" in changed.json()["errors"]["url"][0]
    assert WebhookSubscription.objects.get(pk=pk).url == f"https://{HOST}/hook"


def test_private_targets_are_accepted_when_the_setting_allows_them(as_user, world, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    response = as_user(world.commune_user).post(
        "/api/v1/webhooks/subscriptions/",
        {"url": "http://127.0.0.1:8000/hook", "event_types": ["request.created"]},
        format="json",
    )
    assert response.status_code == 201 and WebhookSubscription.objects.count() == 1


def test_a_delivery_is_refused_when_the_host_resolves_to_a_private_address_at_sending_time(
    world, settings, dns, time_machine
):
    """The host was public when subscribed; now it points at a service on 127.0.0.1 (DNS rebinding)."""
    time_machine.move_to("2026-03-02 09:00:00+01:00")
    receiver = Receiver().start()
    try:
        publish()
        dns[HOST] = "127.0.0.1"
        subscription = subscribe(world, f"http://{HOST}:{receiver.port}/hook", types=["request.created"])
        open_case(world)
        outbox.dispatch()
        settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
        assert webhooks.deliver_due() == 0
        assert receiver.received == []
        delivery = WebhookDelivery.objects.get(subscription=subscription)
        assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
        assert "127.0.0.1" in delivery.last_error and "loopback" in delivery.last_error
        assert delivery.last_status_code is None
        subscription.refresh_from_db()
        assert subscription.consecutive_failures == 1

        # The same delivery goes through once private targets are allowed: the check is what held it.
        settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
        time_machine.move_to(timezone.now() + timedelta(minutes=1))
        assert webhooks.deliver_due() == 1
        assert len(receiver.received) == 1
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.DELIVERED
    finally:
        receiver.stop()


def test_a_redirect_to_a_private_address_is_not_followed(world, settings, dns, monkeypatch, time_machine):
    from api import targets

    time_machine.move_to("2026-03-02 09:00:00+01:00")
    inner = Receiver().start()

    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(302)
            self.send_header("Location", f"http://internal.example.org:{inner.port}/hook")
            self.end_headers()

        def log_message(self, *args):
            pass

    # The first hop stands for a public host: served on 127.0.0.2, which the check is told to let through.
    outer = HTTPServer(("127.0.0.2", 0), Redirect)
    threading.Thread(target=outer.serve_forever, daemon=True).start()
    original = targets.forbidden_reason
    monkeypatch.setattr(
        targets, "forbidden_reason", lambda address: None if address == "127.0.0.2" else original(address)
    )
    try:
        publish()
        dns[HOST] = "127.0.0.2"
        dns["internal.example.org"] = "127.0.0.1"
        subscribe(world, f"http://{HOST}:{outer.server_address[1]}/hook", types=["request.created"])
        open_case(world)
        outbox.dispatch()
        settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
        assert webhooks.deliver_due() == 0
        assert inner.received == []
        delivery = WebhookDelivery.objects.get()
        assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
        assert "internal.example.org" in delivery.last_error and "loopback" in delivery.last_error
    finally:
        outer.shutdown()
        outer.server_close()
        inner.stop()


def _setting_in(env):
    dropped = (
        "DJANGO_ENV",
        "SECRET_KEY",
        "DEBUG",
        "ALLOWED_HOSTS",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
        "WORKER_JOBS",
    )
    clean = {k: v for k, v in os.environ.items() if k not in dropped and not k.startswith("WEBHOOK_")}
    clean.update(env, DATABASE_URL="sqlite:///:memory:")
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from django.conf import settings; print(settings.WEBHOOK_ALLOW_PRIVATE_TARGETS)",
        ],
        cwd=BASE,
        env={**clean, "DJANGO_SETTINGS_MODULE": "gup.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_private_targets_are_refused_by_default_in_production_only():
    production = {
        "DJANGO_ENV": "production",
        "SECRET_KEY": "k3Y-" + "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOP",
        "ALLOWED_HOSTS": "gup.example.org",
        "SITE_BASE_URL": "https://gup.example.org",
    }
    assert _setting_in(production) == "False"
    assert _setting_in({**production, "WEBHOOK_ALLOW_PRIVATE_TARGETS": "true"}) == "True"
    assert _setting_in({}) == "True"
