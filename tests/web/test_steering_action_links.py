"""The organiser links a steering action to intervention requests (by their references) and to the
sub-sector procedures it is about, from the action's page: each change through the actions with its
audit entry; an unknown or out-of-scope reference is refused on its field and nothing is linked."""

import html

import pytest
from django.urls import reverse

from procedures.models import InterventionRequest
from steering import actions
from steering.models import SteeringAuditEntry
from tests.factories import POINT_IN_COMMUNE_1, POINT_IN_QPV
from tests.web.test_browser_every_page import sector_procedure

pytestmark = pytest.mark.django_db


def text(response):
    return html.unescape(response.content.decode())


def file_request(client, world, point):
    client.force_login(world.commune_user)
    response = client.post(
        reverse("request-new"),
        {
            "file": "1",
            "category": "encombrants",
            "description": "Un matelas sur le trottoir",
            "lon": point[0],
            "lat": point[1],
            "urgency": "normal",
            "attr_access": "pavement",
        },
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    client.logout()
    return InterventionRequest.objects.latest("pk")


@pytest.fixture
def linkable(world, procedure, category, client):
    in_qpv = file_request(client, world, POINT_IN_QPV)
    other = file_request(client, world, POINT_IN_QPV)
    outside = file_request(client, world, POINT_IN_COMMUNE_1)  # the DVQ does not see it
    code = sector_procedure(world)
    action = actions.do_create_action(
        title="Relancer le bailleur", owner_organisation=world.commune, acting_user=world.dvq_officer
    )
    return action, in_qpv, other, outside, code


def events():
    return list(
        SteeringAuditEntry.objects.filter(target__startswith="action:")
        .order_by("pk")
        .values_list("event", "data")
    )


def test_the_organiser_links_requests_and_a_sector_procedure_then_takes_them_off(world, client, linkable):
    action, in_qpv, other, _outside, code = linkable
    client.force_login(world.dvq_officer)
    url = reverse("steering-action-links", args=[action.pk])
    assert "Relier des demandes et des procédures" in text(
        client.get(reverse("steering-action", args=[action.pk]))
    )
    page = client.get(url)
    assert page.status_code == 200 and "Secteur de test (fictif)" in text(page)
    procedure_pk = action.sector_procedures.model.objects.get(code=code).pk
    response = client.post(
        url,
        {
            "add_requests": f"{in_qpv.reference.lower()}, {other.reference}",
            "sector_procedures": [procedure_pk],
        },
    )
    assert response.status_code == 302
    assert set(action.requests.all()) == {in_qpv, other}
    assert list(action.sector_procedures.values_list("code", flat=True)) == [code]
    assert events()[-1] == (
        "action_linked",
        {"requests": sorted([in_qpv.pk, other.pk]), "meetings": [], "sector_procedures": [procedure_pk]},
    )
    detail = text(client.get(reverse("steering-action", args=[action.pk])))
    assert in_qpv.reference in detail and "Secteur de test (fictif)" in detail
    response = client.post(url, {"add_requests": "", "remove_requests": [other.pk]})  # procedure unticked
    assert response.status_code == 302
    assert list(action.requests.all()) == [in_qpv] and not action.sector_procedures.exists()
    assert events()[-1] == ("action_unlinked", {"requests": [other.pk], "sector_procedures": [procedure_pk]})


def test_an_unknown_or_unseen_reference_is_refused_and_nothing_is_linked(world, client, linkable):
    action, in_qpv, _other, outside, _code = linkable
    client.force_login(world.dvq_officer)
    response = client.post(
        reverse("steering-action-links", args=[action.pk]),
        {"add_requests": f"{in_qpv.reference} {outside.reference} DI-1999-000001"},
    )
    assert response.status_code == 400
    body = text(response)
    assert 'id="id_add_requests-errors"' in body
    assert f"Demande inconnue : {outside.reference}, DI-1999-000001." in body
    assert not action.requests.exists() and [e for e, _d in events()] == ["action_created"]


def test_saving_without_a_change_writes_no_audit_entry(world, client, linkable):
    action, *_rest = linkable
    client.force_login(world.dvq_officer)
    response = client.post(reverse("steering-action-links", args=[action.pk]), {"add_requests": ""})
    assert response.status_code == 302 and [e for e, _d in events()] == ["action_created"]


def test_only_an_organiser_links_and_a_partner_sees_only_the_requests_it_may_see(world, client, linkable):
    action, in_qpv, _other, _outside, _code = linkable
    actions.do_link_action(action, requests=[in_qpv], acting_user=world.dvq_officer)
    client.force_login(world.commune_user)  # the owner: sees the action, may not link
    detail = text(client.get(reverse("steering-action", args=[action.pk])))
    assert in_qpv.reference in detail and "Relier des demandes" not in detail
    assert client.get(reverse("steering-action-links", args=[action.pk])).status_code == 403
    assert (
        client.post(reverse("steering-action-links", args=[action.pk]), {"add_requests": ""}).status_code
        == 403
    )
    client.force_login(world.commune_2_user)  # out of scope
    assert client.get(reverse("steering-action-links", args=[action.pk])).status_code == 404


def test_the_api_lists_links_and_an_organiser_links_and_takes_off(world, linkable):
    from rest_framework.test import APIClient

    from api.models import ApiToken

    def as_user(user):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {ApiToken.objects.create_for(user, 'test')[1]}")
        return client

    action, in_qpv, other, outside, code = linkable
    url = f"/api/v1/steering/actions/{action.pk}/links/"
    organiser = as_user(world.dvq_officer)
    linked = organiser.post(
        url, {"requests": [in_qpv.reference, other.reference], "sector_procedures": [code]}, format="json"
    )
    assert linked.status_code == 200
    assert linked.json() == {
        "requests": sorted([in_qpv.reference, other.reference]),
        "sector_procedures": [code],
        "remove": False,
    }
    refused = organiser.post(url, {"requests": [outside.reference]}, format="json")
    assert refused.status_code == 400 and outside.reference in str(refused.json()["errors"]["requests"])
    taken_off = organiser.post(url, {"requests": [other.reference], "remove": True}, format="json")
    assert taken_off.json()["requests"] == [in_qpv.reference]
    assert [e for e, _d in events()] == ["action_created", "action_linked", "action_unlinked"]
    owner = as_user(world.commune_user)
    assert owner.get(url).json()["requests"] == [in_qpv.reference]
    assert owner.post(url, {"requests": [in_qpv.reference], "remove": True}, format="json").status_code == 403
    assert as_user(world.commune_2_user).get(url).status_code == 404
    assert list(action.requests.all()) == [in_qpv]
