"""Access through the API: people (scope, query count, deactivation, roles), invitations, access
requests; refusals 403 or 400 in French naming the field, out of scope 404; nothing half-written."""

from rest_framework.test import APIClient

from accounts import actions
from accounts.models import AccessRequestStatus, Invitation
from directory.models import DirectoryAuditEntry
from directory.roles import Role
from tests.accounts.conftest import counts


def _api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_people_list_is_the_organisations_in_a_fixed_number_of_queries(
    people, django_assert_max_num_queries
):
    api = _api(people.referent)
    with django_assert_max_num_queries(6):
        response = api.get("/api/v1/people/")
    assert response.status_code == 200
    rows = response.json()["results"] if "results" in response.json() else response.json()
    assert {row["username"] for row in rows} == {"referent", "requester"}
    assert _api(people.requester).get("/api/v1/people/").json() in ([], {"count": 0, "next": None,
        "previous": None, "results": []})  # fmt: skip
    assert _api(people.referent_2).get(f"/api/v1/people/{people.requester.pk}/").status_code == 404


def test_deactivating_and_changing_roles_through_the_api(people):
    api = _api(people.referent)
    url = f"/api/v1/people/{people.requester.pk}/"
    response = api.post(url + "deactivate/", {"reason": "départ"}, format="json")
    assert response.status_code == 200 and response.json()["is_active"] is False
    assert api.post(url + "reactivate/").json()["is_active"] is True
    before = counts()
    refused = api.put(url + "roles/", {"roles": [Role.SUPERVISOR]}, format="json")
    assert refused.status_code == 403 and "que vous n'avez pas" in refused.json()["detail"]
    bad = api.put(url + "roles/", {"roles": []}, format="json")
    assert bad.status_code == 400 and "roles" in bad.json()["errors"]
    assert counts() == before
    done = api.put(url + "roles/", {"roles": [Role.REFERENT, Role.REQUESTER]}, format="json")
    assert done.status_code == 200 and done.json()["roles"] == [Role.REFERENT, Role.REQUESTER]
    assert (
        DirectoryAuditEntry.objects.filter(
            event="role_assigned", target=f"user:{people.requester.pk}"
        ).count()
        == 1
    )
    assert _api(people.referent_2).post(url + "deactivate/").status_code == 404


def test_inviting_through_the_api(people):
    api = _api(people.referent)
    before = counts()
    bad = api.post("/api/v1/invitations/", {"email": "x", "roles": [Role.REQUESTER]}, format="json")
    assert bad.status_code == 400 and "email" in bad.json()["errors"]
    beyond = api.post(
        "/api/v1/invitations/", {"email": "x@mantes.test", "roles": [Role.AGENT]}, format="json"
    )
    assert beyond.status_code == 403
    assert counts() == before
    created = api.post(
        "/api/v1/invitations/", {"email": "x@mantes.test", "roles": [Role.REQUESTER]}, format="json"
    )
    assert created.status_code == 201 and created.json()["organisation"] == "mantes"
    assert Invitation.objects.get().invited_by == people.referent
    assert [row["email"] for row in api.get("/api/v1/invitations/").json()["results"]] == ["x@mantes.test"]
    assert _api(people.referent_2).get("/api/v1/invitations/").json()["results"] == []


def test_answering_access_requests_through_the_api(people):
    first, second = (
        actions.do_request_access(
            first_name="A", last_name="B", email=email, organisation_id=str(people.commune.pk),
            job_title="Agent", reason="Besoin.",
        )
        for email in ("a@mantes.test", "c@mantes.test")
    )  # fmt: skip
    api = _api(people.referent)
    assert _api(people.referent_2).post(f"/api/v1/access-requests/{first.pk}/approve/").status_code == 404
    approved = api.post(
        f"/api/v1/access-requests/{first.pk}/approve/", {"roles": ["requester"]}, format="json"
    )
    assert approved.status_code == 201 and approved.json()["email"] == "a@mantes.test"
    again = api.post(f"/api/v1/access-requests/{first.pk}/approve/", {"roles": ["requester"]}, format="json")
    assert again.status_code == 400 and "déjà reçu une réponse" in str(again.json()["errors"])
    no_reason = api.post(
        f"/api/v1/access-requests/{second.pk}/refuse/", {"refusal_reason": ""}, format="json"
    )
    assert no_reason.status_code == 400 and "refusal_reason" in no_reason.json()["errors"]
    refused = api.post(
        f"/api/v1/access-requests/{second.pk}/refuse/", {"refusal_reason": "Hors périmètre."}, format="json"
    )
    assert refused.status_code == 200 and refused.json()["status"] == AccessRequestStatus.REFUSED
