"""Issue 11: reasons and notes are limited to 2,000 characters in the API and in the actions; tokens
are issued and revoked by audited actions (API and admin); and rest_framework.authtoken is gone."""

import pytest
from django.apps import apps
from django.test import Client

from api.actions import do_issue_api_token, do_revoke_api_token
from api.models import ApiAuditEntry, ApiToken, WebhookSubscription
from engine.errors import InvalidFields, RoleNotAllowed
from engine.models import Alert, AuditEntry, OutboxEvent
from procedures.actions import do_file_request, do_raise_urgency_alert, do_transition_request
from procedures.actions._common import MAX_REASON
from procedures.models import RequestMessage
from tests.factories import PASSWORD, POINT_IN_QPV

TOO_LONG = "x" * (MAX_REASON + 1)
LIMIT_FR = "Ce champ ne doit pas dépasser 2000 caractères."


@pytest.fixture
def filed(world, potholes):
    return do_file_request(
        acting_user=world.commune_user,
        category="potholes",
        description="Trou",
        lon=POINT_IN_QPV[0],
        lat=POINT_IN_QPV[1],
        urgency="urgent",
        urgency_criteria=["danger"],
    )


def state(request):
    request.refresh_from_db()
    return (
        request.case.state,
        AuditEntry.objects.count(),
        OutboxEvent.objects.count(),
        RequestMessage.objects.count(),
        Alert.objects.count(),
    )


def test_the_api_refuses_a_reason_over_2000_characters_naming_it_and_changes_nothing(as_user, world, filed):
    before = state(filed)
    agent = as_user(world.ctc_agent)
    response = agent.post(
        f"/api/v1/requests/{filed.pk}/transitions/reject/",
        {"reason": TOO_LONG, "fields": {"turn_to": "Mairie"}},
        format="json",
    )
    assert response.status_code == 400 and set(response.json()["errors"]) == {"reason"}
    assert state(filed) == before
    dvq = as_user(world.dvq_officer)
    check = dvq.post(f"/api/v1/requests/{filed.pk}/urgency-check/", {"reason": TOO_LONG}, format="json")
    assert check.status_code == 400 and set(check.json()["errors"]) == {"reason"}
    assert state(filed) == before


def test_the_actions_refuse_long_reasons_notes_and_text_fields_whoever_calls_them(world, filed):
    before = state(filed)
    with pytest.raises(InvalidFields) as refused:
        do_transition_request(
            filed, "reject", acting_user=world.ctc_agent, reason=TOO_LONG, fields={"turn_to": "Mairie"}
        )
    assert refused.value.errors == {"reason": LIMIT_FR}
    with pytest.raises(InvalidFields) as refused:
        do_transition_request(
            filed,
            "reject",
            acting_user=world.ctc_agent,
            reason="Hors compétence",
            fields={"turn_to": TOO_LONG},
        )
    assert refused.value.errors == {"turn_to": LIMIT_FR}
    with pytest.raises(InvalidFields) as refused:
        do_raise_urgency_alert(filed, acting_user=world.dvq_officer, reason=TOO_LONG)
    assert refused.value.errors == {"reason": LIMIT_FR}
    assert state(filed) == before
    do_transition_request(
        filed, "reject", acting_user=world.ctc_agent, reason="y" * MAX_REASON, fields={"turn_to": "Mairie"}
    )
    assert state(filed)[0] == "rejected"  # exactly the limit passes


def test_issuing_and_revoking_a_token_through_the_api_writes_one_audit_entry_each(api, world):
    issued = api.post("/api/v1/auth/token/", {"username": "ctc", "password": PASSWORD, "name": "SIG"})
    assert issued.status_code == 201
    token = ApiToken.objects.get()
    entry = ApiAuditEntry.objects.get()
    assert (entry.event, entry.object_id, entry.actor, entry.owner) == (
        "token_issued",
        token.pk,
        world.ctc_agent,
        world.ctc_agent,
    )
    assert entry.data == {"name": "SIG", "prefix": token.prefix}
    api.credentials(HTTP_AUTHORIZATION=f"Token {issued.json()['token']}")
    other, _key = ApiToken.objects.create_for(world.waste_agent, "other")
    assert api.delete(f"/api/v1/auth/tokens/{other.pk}/").status_code == 404
    assert ApiAuditEntry.objects.count() == 1 and ApiToken.objects.filter(pk=other.pk).exists()
    assert api.delete(f"/api/v1/auth/tokens/{token.pk}/").status_code == 204
    revoked = ApiAuditEntry.objects.get(event="token_revoked")
    assert (revoked.object_id, revoked.actor, revoked.owner) == (token.pk, world.ctc_agent, world.ctc_agent)
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    assert OutboxEvent.objects.count() == 0


def test_the_token_actions_refuse_someone_elses_account(world):
    with pytest.raises(RoleNotAllowed):
        do_issue_api_token(world.waste_agent, acting_user=world.ctc_agent)
    token, _key = do_issue_api_token(world.waste_agent, acting_user=world.waste_agent, name="mine")
    with pytest.raises(RoleNotAllowed):
        do_revoke_api_token(token, acting_user=world.ctc_agent)
    assert ApiToken.objects.filter(pk=token.pk).exists()
    assert list(ApiAuditEntry.objects.values_list("event", flat=True)) == ["token_issued"]
    with pytest.raises(TypeError):
        ApiAuditEntry.objects.all().delete()  # append-only


def test_the_admin_revokes_tokens_and_manages_subscriptions_through_the_actions(world, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    client = Client()
    client.force_login(world.admin_user)
    token, _key = ApiToken.objects.create_for(world.ctc_agent, "old")
    deleted = client.post(f"/admin/api/apitoken/{token.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302 and not ApiToken.objects.exists()
    entry = ApiAuditEntry.objects.get()
    assert (entry.event, entry.actor, entry.owner) == ("token_revoked", world.admin_user, world.ctc_agent)

    form = {
        "organisation": world.commune.pk,
        "created_by": world.commune_user.pk,
        "url": "ftp://hooks.example.org/",
        "event_types": '["request.created"]',
        "is_active": "on",
    }
    refused = client.post("/admin/api/webhooksubscription/add/", form)
    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors["url"] == ["L'URL doit utiliser https or http."]
    assert not WebhookSubscription.objects.exists() and ApiAuditEntry.objects.count() == 1
    created = client.post("/admin/api/webhooksubscription/add/", {**form, "url": "http://127.0.0.1:9/h"})
    assert created.status_code == 302
    subscription = WebhookSubscription.objects.get()
    assert subscription.created_by == world.commune_user
    created_entry = ApiAuditEntry.objects.get(event="webhook_created")
    assert (created_entry.actor, created_entry.owner) == (world.admin_user, world.commune_user)
    changed = client.post(
        f"/admin/api/webhooksubscription/{subscription.pk}/change/",
        {"url": "http://127.0.0.1:9/h", "event_types": '["request.created", "alert.raised"]'},
    )
    assert changed.status_code == 302
    subscription.refresh_from_db()
    assert subscription.event_types == ["alert.raised", "request.created"] and not subscription.is_active
    update = ApiAuditEntry.objects.get(event="webhook_updated")
    assert update.actor == world.admin_user
    assert update.data["changes"] == {
        "event_types": [["request.created"], ["alert.raised", "request.created"]],
        "is_active": [True, False],
    }
    deleted = client.post(f"/admin/api/webhooksubscription/{subscription.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302 and not WebhookSubscription.objects.exists()
    assert ApiAuditEntry.objects.filter(event="webhook_deleted", actor=world.admin_user).count() == 1


def test_rest_framework_authtoken_is_no_longer_installed():
    assert not apps.is_installed("rest_framework.authtoken")
