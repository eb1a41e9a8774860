"""Every field of a transition or an action that names another object is resolved in the caller's scope:
out of scope answers exactly as unknown (status, message), and nothing is written. Permission is
checked before the revision, the revision before the fields."""

import pytest
from guardian.shortcuts import assign_perm

from engine.models import AuditEntry, Comment, OutboxEvent, ProcedureVersion
from procedures.models import InterventionRequest, RequestFollower
from tests.factories import POINT_IN_COMMUNE_1, POINT_IN_COMMUNE_2, make_user


def filed(as_user, user, point=POINT_IN_COMMUNE_1, **extra):
    response = as_user(user).post(
        "/api/v1/requests/",
        {"category": "potholes", "description": "Trou", "lon": point[0], "lat": point[1], **extra},
        format="json",
    )
    assert response.status_code == 201, response.json()
    return InterventionRequest.objects.get(pk=response.json()["id"])


def written():
    return (
        AuditEntry.objects.count(),
        OutboxEvent.objects.count(),
        RequestFollower.objects.count(),
        Comment.objects.count(),
    )


def fire(client, request, code, body):
    return client.post(f"/api/v1/requests/{request.pk}/transitions/{code}/", body, format="json")


def same_answer(refused, unknown):
    assert refused.status_code == unknown.status_code == 400
    assert refused.json() == unknown.json()


def test_a_master_request_out_of_scope_reads_as_unknown_and_no_follower_is_added(as_user, world, potholes):
    own = filed(as_user, world.commune_user)
    other = filed(as_user, world.commune_2_user, POINT_IN_COMMUNE_2)
    ctc = as_user(world.ctc_agent)
    assert ctc.get(f"/api/v1/requests/{other.pk}/").status_code == 404  # out of the agent's scope
    before = written()
    refused = fire(ctc, own, "mark_duplicate", {"fields": {"master": other.reference}})
    unknown = fire(ctc, own, "mark_duplicate", {"fields": {"master": "DI-0000-999999"}})
    same_answer(refused, unknown)
    assert refused.json()["errors"] == {"master": ["Aucune demande n'a cette référence."]}
    assert written() == before
    own.refresh_from_db()
    assert own.case.state == "submitted" and own.duplicate_of is None
    assert not RequestFollower.objects.filter(request=other).exists()
    assert as_user(world.commune_user).get(f"/api/v1/requests/{other.pk}/").status_code == 404


def test_a_master_in_scope_is_merged_through_the_api(as_user, world, potholes):
    own = filed(as_user, world.commune_user)
    master = filed(as_user, world.commune_user)
    merged = fire(as_user(world.ctc_agent), own, "mark_duplicate", {"master": master.reference})
    assert merged.status_code == 200, merged.json()
    own.refresh_from_db()
    assert own.duplicate_of == master and merged.json()["state"] == "duplicate"


@pytest.mark.parametrize("target", ["code", "id"])
def test_the_redirect_transition_takes_a_unit_s_code_or_id(as_user, world, potholes, target):
    request = filed(as_user, world.commune_user)
    value = world.waste.code if target == "code" else world.waste.pk
    response = fire(as_user(world.ctc_agent), request, "redirect", {"target": value, "reason": "Déchets"})
    assert response.status_code == 200, response.json()
    request.refresh_from_db()
    assert request.handler_unit == world.waste and request.case.state == "redirected"


def test_the_redirect_transition_takes_an_organisation_s_code(as_user, world, potholes):
    request = filed(as_user, world.commune_user)
    body = {"fields": {"target": world.landlord.code}, "reason": "Terrain du bailleur"}
    response = fire(as_user(world.ctc_agent), request, "redirect", body)
    assert response.status_code == 200, response.json()
    request.refresh_from_db()
    assert (request.handler_unit, request.handler_organisation) == (None, world.landlord)


def test_a_redirect_target_out_of_scope_reads_as_unknown(as_user, world, potholes):
    request = filed(as_user, world.commune_user)
    ctc = as_user(world.ctc_agent)
    before = written()
    commune = fire(ctc, request, "redirect", {"target": world.commune.code, "reason": "x"})
    unknown = fire(ctc, request, "redirect", {"target": "no-such-unit", "reason": "x"})
    same_answer(commune, unknown)
    assert list(unknown.json()["errors"]) == ["target"]
    wrong = fire(ctc, request, "redirect", {"target": [1], "reason": "x"})
    assert wrong.status_code == 400 and list(wrong.json()["errors"]) == ["target"]
    assert written() == before
    request.refresh_from_db()
    assert request.handler_unit == world.ctc and request.case.state == "submitted"


@pytest.mark.parametrize("value", ["abc", [1], {"a": 1}, True, 1.5])
@pytest.mark.parametrize("where", ["top", "fields"])
def test_a_handler_unit_of_the_wrong_type_is_a_400_naming_the_field(as_user, world, potholes, value, where):
    request = filed(as_user, world.commune_user)
    body = {"handler_unit": value} if where == "top" else {"fields": {"handler_unit": value}}
    before = written()
    response = fire(as_user(world.ctc_agent), request, "qualify", body)
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == ["handler_unit"]
    assert written() == before


@pytest.mark.parametrize("field", ["handler_agent", "category", "urgency", "urgency_criteria", "note"])
def test_other_qualify_fields_of_the_wrong_type_are_a_400_naming_them(as_user, world, potholes, field):
    request = filed(as_user, world.commune_user)
    response = fire(as_user(world.ctc_agent), request, "qualify", {"fields": {field: {"x": [1]}}})
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == [field]


def test_qualify_puts_in_charge_an_agent_of_a_unit_below_the_handler_unit(as_user, world, potholes):
    from directory.models import UnitKind
    from directory.roles import Role
    from tests.factories import make_unit

    team = make_unit(world.ctc.organisation, UnitKind.SERVICE, code="ctc-team", parent=world.ctc)
    member = make_user(world.ctc.organisation, unit=team, roles=[Role.AGENT], username="team-agent")
    request = filed(as_user, world.commune_user)
    response = fire(as_user(world.ctc_lead), request, "qualify", {"handler_agent": "team-agent"})
    assert response.status_code == 200, response.json()
    request.refresh_from_db()
    assert request.handler_agent == member


def test_an_agent_out_of_reach_reads_as_unknown_and_names_nobody(as_user, world, potholes):
    request = filed(as_user, world.commune_user)
    lead = as_user(world.ctc_lead)
    assert fire(lead, request, "qualify", {}).status_code == 200
    url = f"/api/v1/requests/{request.pk}/assign/"
    second = filed(as_user, world.commune_user)
    before = written()
    answers = [
        lead.post(url, {"agent": agent}, format="json")
        for agent in ("nobody", "waste", str(world.waste_agent.pk), str(world.commune_user.pk), "99999")
    ]
    for answer in answers:
        assert answer.status_code == 400 and answer.json() == answers[0].json()
    assert answers[0].json()["errors"] == {
        "agent": ["Choisissez un agent actif de CTC Un ou d'une unité qui en dépend."]
    }
    qualify = fire(lead, second, "qualify", {"handler_agent": "waste"})
    assert qualify.status_code == 400
    assert qualify.json()["errors"]["handler_agent"] == answers[0].json()["errors"]["agent"]
    assert written() == before


def test_an_inactive_person_reads_as_unknown_when_sharing(as_user, world, potholes):
    request = filed(as_user, world.commune_user)
    inactive = make_user(world.landlord, username="parti", is_active=False)
    ctc = as_user(world.ctc_agent)
    url = f"/api/v1/requests/{request.pk}/shares/"
    before = written()
    answers = [ctc.post(url, {"user": user}, format="json") for user in ("nobody", "parti", str(inactive.pk))]
    for answer in answers:
        assert answer.status_code == 400 and answer.json() == answers[0].json()
    assert "parti" not in str(answers[0].json())
    assert written() == before


def test_sharing_with_someone_who_already_sees_it_tells_nothing_about_their_scope(as_user, world, potholes):
    request = filed(as_user, world.commune_user)
    ctc = as_user(world.ctc_agent)
    url = f"/api/v1/requests/{request.pk}/shares/"
    sees = ctc.post(url, {"user": "commune"}, format="json")
    does_not = ctc.post(url, {"user": "landlord"}, format="json")
    assert sees.status_code == does_not.status_code == 201


def test_authorisation_comes_before_validation_and_the_revision_before_the_state(as_user, world, potholes):
    request = filed(as_user, world.commune_user)
    commune = as_user(world.commune_user)
    before = written()
    for code, body in [
        ("mark_duplicate", {"master": "DI-0000-999999"}),
        ("redirect", {"target": "abc", "reason": ""}),
        ("qualify", {"handler_unit": "abc"}),
        ("plan", {"planned_date": "not a date"}),
    ]:
        refused = fire(commune, request, code, body)
        assert refused.status_code == 403, (code, refused.json())
    assign = commune.post(f"/api/v1/requests/{request.pk}/assign/", {"agent": "nobody"}, format="json")
    assert assign.status_code == 403
    ctc = as_user(world.ctc_agent)
    revision = ctc.get(f"/api/v1/requests/{request.pk}/").json()["revision"]
    assert fire(ctc, request, "acknowledge", {"expected_revision": revision}).status_code == 200
    written_now = written()
    stale = fire(
        ctc, request, "acknowledge", {"expected_revision": revision}
    )  # not possible from the new state
    assert stale.status_code == 409, stale.json()
    stale_redirect = fire(ctc, request, "redirect", {"target": "abc", "expected_revision": revision})
    assert stale_redirect.status_code == 409
    assert written() == written_now and written_now[0] == before[0] + 1


def test_the_requester_side_cannot_post_an_internal_comment_and_reads_none(as_user, world, potholes):
    request = filed(as_user, world.commune_user)
    url = f"/api/v1/requests/{request.pk}/comments/"
    ctc, commune = as_user(world.ctc_agent), as_user(world.commune_user)
    assert ctc.post(url, {"body": "Secret", "internal": True}, format="json").status_code == 201
    before = written()
    refused = commune.post(url, {"body": "Merci", "internal": True}, format="json")
    assert refused.status_code == 403
    assert (
        refused.json()["detail"]
        == "Seuls les services qui traitent cette demande peuvent écrire des commentaires internes."
    )
    assert written() == before
    assert commune.post(url, {"body": "Merci"}, format="json").status_code == 201
    assert [c["body"] for c in commune.get(url).json()["results"]] == ["Merci"]
    assert [c["body"] for c in ctc.get(url).json()["results"]] == ["Secret", "Merci"]
    assert [c["body"] for c in as_user(world.admin_user).get(url).json()["results"]] == ["Secret", "Merci"]


def test_urgency_criteria_given_at_qualify_are_checked_and_applied(as_user, world, potholes):
    request = filed(as_user, world.commune_user)
    lead = as_user(world.ctc_lead)
    bad = fire(lead, request, "qualify", {"urgency": "urgent", "urgency_criteria": ["nope"]})
    assert bad.status_code == 400 and list(bad.json()["errors"]) == ["urgency_criteria"]
    normal = fire(lead, request, "qualify", {"urgency_criteria": ["danger"]})
    assert normal.status_code == 400 and list(normal.json()["errors"]) == ["urgency_criteria"]
    assert request.urgency_criteria.count() == 0
    done = fire(lead, request, "qualify", {"urgency": "urgent", "urgency_criteria": ["danger"]})
    assert done.status_code == 200, done.json()
    assert done.json()["urgency"] == "urgent" and done.json()["urgency_criteria"] == ["danger"]


SOURCE = """
procedure: tiny
version: {number}
title: {{fr: "Petite", en: "Tiny"}}
roles: [requester, handler]
opened_by: [requester]
states:
  open: {{initial: true, label: {{fr: Ouverte, en: Open}}}}
  done: {{final: true, label: {{fr: Faite, en: Done}}}}
transitions:
  finish: {{from: [open], to: done, roles: [handler]}}
"""


def test_a_procedure_s_own_administrator_stores_and_publishes_through_the_api(as_user, world, db):
    from engine.actions import do_store_version

    version = do_store_version(SOURCE.format(number=1), acting_user=None)
    assign_perm("engine.change_procedure", world.ctc_lead, version.procedure)
    lead = as_user(world.ctc_lead)
    published = lead.post("/api/v1/procedures/tiny/versions/1/publish/")
    assert published.status_code == 200, published.json()
    stored = lead.post("/api/v1/procedures/versions/", {"source": SOURCE.format(number=2)}, format="json")
    assert stored.status_code == 201, stored.json()
    other = as_user(world.ctc_agent)
    assert other.post("/api/v1/procedures/tiny/versions/2/publish/").status_code == 403
    broken = other.post("/api/v1/procedures/versions/", {"source": "procedure: x\n"}, format="json")
    assert broken.status_code == 403  # refused before the text is read
    assert ProcedureVersion.objects.count() == 2
