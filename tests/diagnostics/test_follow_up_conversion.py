"""Findings of a walking diagnostic become ONE follow-up action or ONE recommendation of the steering
(registered by steering into diagnostics' extension point), each finding recording it, never twice."""

import datetime

import pytest
from rest_framework.test import APIClient

from api.models import ApiToken
from diagnostics.actions import (
    do_convert_findings_to_follow_up,
    do_create_diagnostic,
    do_mark_findings_no_action,
    do_move_diagnostic,
    do_record_finding,
    may_convert_findings_to_follow_up,
)
from diagnostics.models import DiagnosticAuditEntry, Finding
from engine.errors import InvalidFields, RoleNotAllowed
from engine.models import OutboxEvent
from steering.models import Action, Recommendation, SteeringAuditEntry
from tests.diagnostics.conftest import item, new_client_id

pytestmark = pytest.mark.django_db


@pytest.fixture
def walk(world, grid):
    """A diagnostic of the first commune, the community taking part, under analysis with 3 findings."""
    diagnostic = do_create_diagnostic(
        acting_user=world.commune_user,
        commune=world.commune,
        title="Diagnostic du QPV Un",
        date=datetime.date(2026, 11, 20),
        grid_version=grid,
        qpv=world.qpv,
        participants=[world.landlord, world.cu],
    )
    do_move_diagnostic(diagnostic, "start_field", acting_user=world.commune_user)
    for n, code in enumerate(["proprete/encombrants", "proprete/corbeilles", "eclairage/candelabre"]):
        do_record_finding(
            diagnostic,
            acting_user=world.commune_user,
            client_id=new_client_id(),
            item=item(grid, code),
            rating=n,
            lon=1.706 + 0.003 * n,
            lat=48.987,
            comment=f"Constat {n}",
        )
    return do_move_diagnostic(diagnostic, "start_analysis", acting_user=world.commune_user)


def ids(walk):
    return list(Finding.objects.filter(diagnostic=walk).order_by("pk").values_list("pk", flat=True))


def counts():
    return (
        Action.objects.count(),
        Recommendation.objects.count(),
        SteeringAuditEntry.objects.count(),
        DiagnosticAuditEntry.objects.filter(event="finding_converted").count(),
        OutboxEvent.objects.filter(kind="diagnostics.finding_converted").count(),
        Finding.objects.exclude(outcome="").count(),
    )


def test_it_turns_a_set_of_findings_into_one_action_linked_both_ways(world, walk):
    chosen = ids(walk)[:2]
    results = do_convert_findings_to_follow_up(
        walk,
        chosen,
        "action",
        acting_user=world.dvq_officer,
        title="Plan propreté du hall",
        owner_organisation=world.landlord.pk,
        owner_person=world.landlord_agent.pk,
        due_date="2027-01-31",
    )
    assert [outcome for _f, outcome in results] == ["action", "action"]
    action = Action.objects.get()
    assert (action.title, action.owner_organisation, action.owner_person) == (
        "Plan propreté du hall",
        world.landlord,
        world.landlord_agent,
    )
    assert action.due_date == datetime.date(2027, 1, 31)
    assert (action.commune, action.qpv, action.source) == (
        world.commune,
        world.qpv,
        f"diagnostics.diagnostic:{walk.pk}",
    )
    assert "Constat 0" in action.description and "Constat 1" in action.description
    converted = Finding.objects.filter(pk__in=chosen)
    assert {(f.outcome, f.outcome_reference, f.converted_by_id) for f in converted} == {
        ("action", f"action:{action.pk}", world.dvq_officer.pk)
    }
    assert all(f.converted_at for f in converted)
    assert Finding.objects.exclude(pk__in=chosen).get().outcome == ""
    assert SteeringAuditEntry.objects.filter(event="action_created", data__source=action.source).count() == 1
    assert DiagnosticAuditEntry.objects.filter(event="finding_converted", data__outcome="action").count() == 2
    assert OutboxEvent.objects.filter(kind="diagnostics.finding_converted").count() == 2


def test_it_turns_findings_into_one_recommendation_for_the_diagnostics_qpv(world, walk):
    chosen = ids(walk)
    do_convert_findings_to_follow_up(
        walk,
        chosen,
        "recommendation",
        acting_user=world.dvq_officer,
        recommendation="Prévoir des locaux encombrants accessibles",
    )
    row = Recommendation.objects.get()
    assert row.qpv == world.qpv and row.source == f"diagnostics.diagnostic:{walk.pk}"
    assert "Candélabre éteint" in row.issue  # the issue defaults to the chosen findings
    assert set(Finding.objects.values_list("outcome_reference", flat=True)) == {f"recommendation:{row.pk}"}


def test_it_refuses_a_finding_already_converted_and_saves_nothing(world, walk):
    first, second, _third = ids(walk)
    do_mark_findings_no_action(walk, [first], "Déjà traité", acting_user=world.dvq_officer)
    before = counts()
    with pytest.raises(InvalidFields) as error:
        do_convert_findings_to_follow_up(
            walk,
            [first, second],
            "action",
            acting_user=world.dvq_officer,
            title="Action",
            owner_organisation=world.landlord.pk,
        )
    assert f"#{first}" in error.value.errors["findings"] and "Déjà converti" in error.value.errors["findings"]
    assert counts() == before
    assert Finding.objects.get(pk=second).outcome == ""


@pytest.mark.parametrize(
    "options, field",
    [
        ({"title": "Action"}, "owner_organisation"),
        ({"title": "Action", "owner_organisation": 999999}, "owner_organisation"),
        ({"title": "", "owner_organisation": "ORG"}, "title"),
        ({"title": "Action", "owner_organisation": "ORG", "due_date": "31/13/2027"}, "due_date"),
        ({"title": "Action", "owner_organisation": "ORG", "owner_person": "COMMUNE_USER"}, "owner_person"),
    ],
)
def test_it_refuses_a_bad_action_naming_the_field_and_saves_nothing(world, walk, options, field):
    options = {
        k: {"ORG": world.landlord.pk, "COMMUNE_USER": world.commune_user.pk}.get(v, v)
        for k, v in options.items()
    }
    before = counts()
    with pytest.raises(InvalidFields) as error:
        do_convert_findings_to_follow_up(walk, ids(walk), "action", acting_user=world.dvq_officer, **options)
    assert field in error.value.errors
    assert counts() == before


def test_only_the_steering_organisers_create_them_and_the_page_offers_it_only_to_them(world, walk):
    assert may_convert_findings_to_follow_up(world.dvq_officer, walk, "action")
    assert not may_convert_findings_to_follow_up(world.commune_user, walk, "action")
    before = counts()
    with pytest.raises(RoleNotAllowed):
        do_convert_findings_to_follow_up(
            walk,
            ids(walk),
            "action",
            acting_user=world.commune_user,
            title="A",
            owner_organisation=world.cu.pk,
        )
    with pytest.raises(RoleNotAllowed):
        do_convert_findings_to_follow_up(
            walk, ids(walk), "recommendation", acting_user=world.landlord_agent, recommendation="R"
        )
    assert counts() == before


# --- API ---------------------------------------------------------------------------------------------


def api(user):
    client = APIClient()
    _token, key = ApiToken.objects.create_for(user, "test")
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def convert(client, walk, **data):
    return client.post(f"/api/v1/diagnostics/{walk.pk}/convert/", data, format="json")


def test_the_api_turns_findings_into_one_action_then_refuses_them_again(world, walk):
    client = api(world.dvq_officer)
    chosen = ids(walk)[:2]
    data = {"findings": chosen, "outcome": "action", "title": "Plan", "owner_organisation": world.landlord.pk}
    answer = convert(client, walk, due_date="2027-01-31", **data)
    assert answer.status_code == 200, answer.content
    action = Action.objects.get()
    assert answer.json() == [
        {"finding": pk, "outcome": "action", "request": None, "reference": f"action:{action.pk}"}
        for pk in chosen
    ]
    before = counts()
    again = convert(client, walk, **data)
    assert again.status_code == 400 and "Déjà converti" in again.json()["errors"]["findings"][0]
    assert counts() == before
    detail = api(world.dvq_officer).get(f"/api/v1/diagnostics/{walk.pk}/findings/").json()["results"]
    assert [f["outcome_reference"] for f in detail] == [f"action:{action.pk}"] * 2 + [""]


def test_the_api_names_the_missing_owner_in_french_and_hides_other_communes_diagnostics(world, walk):
    before = counts()
    answer = convert(api(world.dvq_officer), walk, findings=ids(walk), outcome="action", title="Plan")
    assert answer.status_code == 400
    assert "organisme pilote" in answer.json()["errors"]["owner_organisation"][0]
    outsider = convert(
        api(world.commune_2_user),
        walk,
        findings=ids(walk),
        outcome="recommendation",
        recommendation="R",
    )
    assert outsider.status_code == 404
    recommend = convert(
        api(world.commune_user), walk, findings=ids(walk), outcome="recommendation", recommendation="R"
    )
    assert recommend.status_code == 403
    assert counts() == before


# --- web ---------------------------------------------------------------------------------------------


def test_the_analysis_page_makes_one_action_shown_on_both_pages(world, walk):
    from django.utils.html import escape

    from tests.diagnostics.test_web import client_for

    assert (
        'value="action"'
        not in client_for(world.commune_user).get(f"/diagnostics/{walk.pk}/analysis/").content.decode()
    )
    client = client_for(world.dvq_officer)
    page = client.get(f"/diagnostics/{walk.pk}/analysis/").content.decode()
    assert 'value="action"' in page and 'value="recommendation"' in page
    refused = client.post(
        f"/diagnostics/{walk.pk}/convert/",
        {"findings": ids(walk)[:2], "outcome": "action", "title": "Plan", "owner_organisation": ""},
        follow=True,
    )
    assert escape("Une action doit avoir un organisme pilote.") in refused.content.decode()
    assert Action.objects.count() == 0 and Finding.objects.exclude(outcome="").count() == 0
    answer = client.post(
        f"/diagnostics/{walk.pk}/convert/",
        {
            "findings": ids(walk)[:2],
            "outcome": "action",
            "title": "Plan propreté",
            "owner_organisation": str(world.landlord.pk),
            "owner_person": "",
            "due_date": "2027-01-31",
        },
        follow=True,
    )
    action = Action.objects.get()
    page = answer.content.decode()
    assert answer.status_code == 200 and f'href="/steering/actions/{action.pk}/"' in page
    assert escape("2 constat(s) regroupé(s) en une action de suivi") in page
    detail = client.get(f"/steering/actions/{action.pk}/").content.decode()
    assert escape("D’après le diagnostic en marchant du 20 novembre 2026") in detail
    assert f'href="/diagnostics/{walk.pk}/analysis/"' in detail and "Constat 1" in detail
    client.post(
        f"/diagnostics/{walk.pk}/convert/",
        {
            "findings": ids(walk)[2:],
            "outcome": "recommendation",
            "qpv": str(world.qpv.pk),
            "recommendation": "Locaux",
        },
    )
    row = Recommendation.objects.get()
    listing = client.get("/steering/recommendations/").content.decode()
    assert (
        f'id="recommendation-{row.pk}"' in listing and f'href="/diagnostics/{walk.pk}/analysis/"' in listing
    )
