"""Issue 11: a webhook subscription belongs to its owner; writes go through audited actions;
events follow the owner's scope when they are posted; comment events carry the reference."""

import pytest

from api import actions, webhooks
from api.models import ApiAuditEntry, DeliveryStatus, WebhookDelivery, WebhookSubscription
from directory.models import RoleAssignment
from directory.roles import Role
from engine import outbox
from engine.actions import do_comment
from engine.errors import InvalidFields, RoleNotAllowed
from engine.models import OutboxEvent
from tests.api.test_webhooks import Receiver, subscribe
from tests.factories import POINT_IN_COMMUNE_1, make_user

URL = "https://hooks.example.org/gup"


@pytest.fixture(autouse=True)
def _only_the_webhook_consumer(monkeypatch):
    from engine import registry

    monkeypatch.setattr(registry, "CONSUMERS", {"webhooks": webhooks.consume})


@pytest.fixture
def colleague(world):
    """A second referent of the same commune as world.commune_user."""
    return make_user(world.commune, roles=[Role.REFERENT, Role.REQUESTER], username="commune-colleague")


@pytest.fixture
def owned(world, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    return actions.do_create_webhook_subscription(
        acting_user=world.commune_user, url="http://127.0.0.1:9/hook", event_types=["request.created"]
    )


def rows():
    return (
        list(WebhookSubscription.objects.order_by("pk").values()),
        ApiAuditEntry.objects.count(),
        OutboxEvent.objects.count(),
    )


def test_another_manager_of_the_organisation_gets_404_on_someone_elses_subscription(
    as_user, world, colleague, owned
):
    client = as_user(colleague)
    before = rows()
    path = f"/api/v1/webhooks/subscriptions/{owned.pk}/"
    assert client.get(path).status_code == 404
    repointed = client.patch(path, {"url": "https://attacker.example.org/"}, format="json")
    assert repointed.status_code == 404 and repointed.json()["code"] == "not_found"
    assert client.delete(path).status_code == 404
    assert client.get("/api/v1/webhooks/subscriptions/").json()["count"] == 0
    assert rows() == before
    owned.refresh_from_db()
    assert owned.url == "http://127.0.0.1:9/hook"


def test_only_the_owner_and_administrators_read_a_subscriptions_deliveries(as_user, world, colleague, owned):
    delivery = WebhookDelivery.objects.create(
        subscription=owned, event_id=1, event_type="request.created", ordering_key="case:1", body={}
    )
    agent = as_user(world.ctc_agent)
    assert agent.get("/api/v1/webhooks/deliveries/").json()["count"] == 0
    assert agent.get(f"/api/v1/webhooks/deliveries/{delivery.pk}/").status_code == 404
    other = as_user(colleague)
    assert other.get("/api/v1/webhooks/deliveries/").json()["count"] == 0
    filtered = other.get(f"/api/v1/webhooks/deliveries/?subscription={owned.pk}")
    assert filtered.status_code == 400  # someone else's subscription is as unknown as a missing one
    assert filtered.json()["errors"].keys() == {"subscription"}
    mine = as_user(world.commune_user).get("/api/v1/webhooks/deliveries/").json()
    assert [d["id"] for d in mine["results"]] == [delivery.pk]
    admin = as_user(world.admin_user).get("/api/v1/webhooks/deliveries/").json()
    assert [d["id"] for d in admin["results"]] == [delivery.pk]


def test_creating_changing_and_deleting_through_the_api_writes_one_audit_entry_each(as_user, world, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    client = as_user(world.commune_user)
    created = client.post(
        "/api/v1/webhooks/subscriptions/",
        {"url": "http://127.0.0.1:9/a", "event_types": ["request.created"]},
        format="json",
    )
    assert created.status_code == 201
    pk = created.json()["id"]
    entry = ApiAuditEntry.objects.get()
    assert (entry.event, entry.object_id, entry.actor, entry.owner) == (
        "webhook_created",
        pk,
        world.commune_user,
        world.commune_user,
    )
    assert entry.data["url"] == "http://127.0.0.1:9/a" and "secret" not in entry.data

    WebhookSubscription.objects.filter(pk=pk).update(is_active=False, consecutive_failures=20)
    changed = client.patch(
        f"/api/v1/webhooks/subscriptions/{pk}/",
        {"is_active": True, "url": "http://127.0.0.1:9/b"},
        format="json",
    )
    assert changed.status_code == 200 and changed.json()["consecutive_failures"] == 0
    update = ApiAuditEntry.objects.get(event="webhook_updated")
    assert update.data["changes"] == {
        "url": ["http://127.0.0.1:9/a", "http://127.0.0.1:9/b"],
        "is_active": [False, True],
    }
    assert client.delete(f"/api/v1/webhooks/subscriptions/{pk}/").status_code == 204
    assert not WebhookSubscription.objects.exists()
    assert list(ApiAuditEntry.objects.values_list("event", flat=True)) == [
        "webhook_created",
        "webhook_updated",
        "webhook_deleted",
    ]
    assert OutboxEvent.objects.count() == 0


def test_the_actions_refuse_someone_elses_subscription_and_bad_input_writing_nothing(world, colleague, owned):
    before = rows()
    with pytest.raises(RoleNotAllowed, match="Seuls le propriétaire de cet abonnement"):
        actions.do_update_webhook_subscription(owned, acting_user=colleague, url="https://x.example.org/")
    with pytest.raises(RoleNotAllowed):
        actions.do_delete_webhook_subscription(owned, acting_user=colleague)
    with pytest.raises(RoleNotAllowed):
        actions.do_create_webhook_subscription(
            acting_user=world.ctc_agent, url=URL, event_types=["alert.raised"]
        )
    with pytest.raises(InvalidFields) as bad:
        actions.do_update_webhook_subscription(owned, acting_user=world.commune_user, event_types=["nope"])
    assert "nope" in bad.value.errors["event_types"]
    with pytest.raises(InvalidFields) as bad:
        actions.do_update_webhook_subscription(owned, acting_user=world.commune_user, url="ftp://x.example/")
    assert set(bad.value.errors) == {"url"}
    assert rows() == before
    # an owner who lost their manager role no longer manages it; administrators still do
    RoleAssignment.objects.filter(user=world.commune_user, role=Role.REFERENT).delete()
    world.commune_user._role_codes = None
    with pytest.raises(RoleNotAllowed):
        actions.do_update_webhook_subscription(owned, acting_user=world.commune_user, is_active=False)
    actions.do_update_webhook_subscription(owned, acting_user=world.admin_user, is_active=False)
    assert ApiAuditEntry.objects.filter(event="webhook_updated", actor=world.admin_user).count() == 1


def test_events_follow_the_owners_scope_when_they_are_posted(world, potholes, settings):
    from procedures.actions import do_file_request

    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    receiver = Receiver().start()
    try:
        subscription = subscribe(
            world,
            receiver.url,
            types=["request.created"],
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
        delivery = WebhookDelivery.objects.get(subscription=subscription)
        # Before it is posted, the owner moves to another commune: they may no longer see the request.
        world.commune_user.organisation = world.commune_2
        world.commune_user.save(update_fields=["organisation"])
        assert webhooks.deliver_due() == 0
        assert receiver.received == []
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 0
        assert (
            delivery.last_error
            == "Non envoyé : le propriétaire de l’abonnement ne peut plus voir cette demande."
        )
        assert request.reference  # the request itself is untouched
    finally:
        receiver.stop()


def test_a_comment_event_carries_the_request_reference(world, potholes):
    from procedures.actions import do_file_request

    subscription = subscribe(world, "https://hooks.example.org/x", types=["request.commented"])
    request = do_file_request(
        acting_user=world.commune_user,
        category="potholes",
        description="Trou",
        lon=POINT_IN_COMMUNE_1[0],
        lat=POINT_IN_COMMUNE_1[1],
    )
    do_comment(request.case, acting_user=world.commune_user, body="Toujours là")
    outbox.dispatch()
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert delivery.event_type == "request.commented"
    assert delivery.body["reference"] == request.reference
