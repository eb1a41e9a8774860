"""An action of a programme placed on the map (or by coordinates), changed or removed from its web form
while the programme is editable, through tfpb.actions: audit entries, nothing half-saved on bad input."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from engine.errors import GuardFailed, InvalidFields, RoleNotAllowed
from tests.factories import PASSWORD, QPV_BOX
from tests.tfpb.builders import build_programme
from tfpb.actions import do_change_programme_action, do_remove_programme_action, do_submit_programme
from tfpb.models import Action, Indicator, TfpbAuditEntry

pytestmark = pytest.mark.django_db

INSIDE = ((QPV_BOX[0] + QPV_BOX[2]) / 2, (QPV_BOX[1] + QPV_BOX[3]) / 2)  # lon, lat in the QPV
OUTSIDE = (1.75, 48.99)  # in no QPV of the world


def _client(user):
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _first(programme):
    return programme.actions.order_by("pk").first()


def _form(action, **changes):
    data = {
        "axis": action.axis.code,
        "title": action.title,
        "description": action.description,
        "places": action.places,
        "planned_amount_eur": str(action.planned_amount_eur).replace(".", ","),
        "lat": "",
        "lon": "",
    }
    data.update(changes)
    return data


def test_the_landlord_places_a_new_action_by_coordinates_with_a_decimal_comma(tfpb):
    programme = build_programme(tfpb)
    client = _client(tfpb.world.landlord_agent)
    lon, lat = INSIDE
    response = client.post(
        reverse("tfpb-action-add", args=[programme.pk]),
        {
            "axis": "waste",
            "title": "Bacs à encombrants",
            "planned_amount_eur": "1 000",
            "lat": f"{lat:.4f}".replace(".", ","),
            "lon": f"{lon:.4f}".replace(".", ","),
        },
    )
    assert response.status_code == 302
    action = programme.actions.get(title="Bacs à encombrants")
    assert action.location == {"type": "Point", "coordinates": [round(lon, 4), round(lat, 4)]}

    page = client.get(reverse("tfpb-programme", args=[programme.pk])).content.decode()
    assert 'aria-describedby="places-list"' in page and 'id="places-list"' in page
    assert "Bacs à encombrants" in page.split('id="places-list"')[1].split("</ul>")[0]
    assert '"coordinates": [' in page.split('id="action-points"')[1].split("</script>")[0]


def test_a_new_action_outside_the_qpv_is_refused_on_its_coordinates_and_nothing_is_saved(tfpb):
    programme = build_programme(tfpb)
    client = _client(tfpb.world.landlord_agent)
    before = (Action.objects.count(), TfpbAuditEntry.objects.count())
    response = client.post(
        reverse("tfpb-action-add", args=[programme.pk]),
        {
            "axis": "waste",
            "title": "Hors QPV",
            "planned_amount_eur": "1 000",
            "lon": str(OUTSIDE[0]),
            "lat": str(OUTSIDE[1]),
        },
    )
    assert response.status_code == 400
    assert "en dehors du QPV du programme" in response.content.decode()
    assert (Action.objects.count(), TfpbAuditEntry.objects.count()) == before


def test_one_coordinate_alone_is_refused(tfpb):
    programme = build_programme(tfpb)
    action = _first(programme)
    client = _client(tfpb.world.landlord_agent)
    response = client.post(
        reverse("tfpb-action-edit", args=[programme.pk, action.pk]), _form(action, lat="48,99")
    )
    assert response.status_code == 400
    assert "la latitude et la longitude" in response.content.decode()
    assert not TfpbAuditEntry.objects.filter(event="action_changed").exists()


def test_the_landlord_changes_an_action_from_its_form(tfpb):
    programme = build_programme(tfpb)
    action = _first(programme)
    client = _client(tfpb.world.landlord_agent)
    page = client.get(reverse("tfpb-action-edit", args=[programme.pk, action.pk]))
    assert page.status_code == 200
    assert 'value="Nettoyage renforcé des halls"' in page.content.decode()
    assert (
        reverse("tfpb-action-edit", args=[programme.pk, action.pk])
        in client.get(reverse("tfpb-programme", args=[programme.pk])).content.decode()
    )

    lon, lat = INSIDE
    response = client.post(
        reverse("tfpb-action-edit", args=[programme.pk, action.pk]),
        _form(
            action,
            axis="waste",
            title="Nettoyage des halls et des caves",
            planned_amount_eur="85 000,50",
            lat=str(lat),
            lon=str(lon),
        ),
    )
    assert response.status_code == 302
    action.refresh_from_db()
    assert (action.axis.code, action.title, action.planned_amount_eur) == (
        "waste",
        "Nettoyage des halls et des caves",
        Decimal("85000.50"),
    )
    assert action.location == {"type": "Point", "coordinates": [lon, lat]}
    assert action.indicators.count() == 1  # the indicators stay
    entry = TfpbAuditEntry.objects.get(event="action_changed")
    assert entry.actor == tfpb.world.landlord_agent
    assert entry.data["old"] == {
        "axis": "reinforced_upkeep",
        "title": "Nettoyage renforcé des halls",
        "location": None,
        "planned_amount_eur": "80000.00",
    }
    assert entry.data["new"]["planned_amount_eur"] == "85000.50"


def test_a_change_with_nothing_new_writes_no_audit_entry(tfpb):
    programme = build_programme(tfpb)
    action = _first(programme)
    response = _client(tfpb.world.landlord_agent).post(
        reverse("tfpb-action-edit", args=[programme.pk, action.pk]), _form(action)
    )
    assert response.status_code == 302
    assert not TfpbAuditEntry.objects.filter(event="action_changed").exists()


def test_a_bad_change_is_shown_on_its_field_and_nothing_is_saved(tfpb):
    programme = build_programme(tfpb)
    action = _first(programme)
    client = _client(tfpb.world.landlord_agent)
    response = client.post(
        reverse("tfpb-action-edit", args=[programme.pk, action.pk]),
        _form(action, title="Autre titre", planned_amount_eur="-5", lon=str(OUTSIDE[0]), lat=str(OUTSIDE[1])),
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert "ne peut pas être négatif" in content
    assert "en dehors du QPV du programme" in content
    action.refresh_from_db()
    assert (action.title, action.planned_amount_eur, action.location) == (
        "Nettoyage renforcé des halls",
        Decimal("80000.00"),
        None,
    )
    assert not TfpbAuditEntry.objects.filter(event="action_changed").exists()


def test_the_landlord_removes_an_action_and_its_indicators(tfpb):
    programme = build_programme(tfpb)
    action = _first(programme)
    response = _client(tfpb.world.landlord_agent).post(
        reverse("tfpb-action-remove", args=[programme.pk, action.pk])
    )
    assert response.status_code == 302
    assert not Action.objects.filter(pk=action.pk).exists()
    assert not Indicator.objects.filter(action_id=action.pk).exists()
    assert programme.planned_total() == Decimal("45000.00")
    entry = TfpbAuditEntry.objects.get(event="action_removed")
    assert entry.data["old"]["title"] == "Nettoyage renforcé des halls"


def test_a_submitted_programmes_actions_can_no_longer_be_changed_or_removed(tfpb):
    programme = build_programme(tfpb, submit=True)
    action = _first(programme)
    client = _client(tfpb.world.landlord_agent)
    page = client.get(reverse("tfpb-action-edit", args=[programme.pk, action.pk]))
    assert page.status_code == 200 and "ne peuvent plus être modifiées" in page.content.decode()
    assert 'name="remove-action"' not in page.content.decode()
    assert client.post(reverse("tfpb-action-remove", args=[programme.pk, action.pk])).status_code == 400
    response = client.post(
        reverse("tfpb-action-edit", args=[programme.pk, action.pk]), _form(action, title="Autre")
    )
    assert response.status_code == 400
    action.refresh_from_db()
    assert action.title == "Nettoyage renforcé des halls"
    assert not TfpbAuditEntry.objects.filter(event__in=["action_changed", "action_removed"]).exists()


def test_a_stale_copy_cannot_change_an_action_of_a_programme_submitted_meanwhile(tfpb):
    programme = build_programme(tfpb)
    action = Action.objects.select_related("programme").get(pk=_first(programme).pk)
    assert action.programme is not programme and action.programme.is_editable  # a draft in memory
    do_submit_programme(programme, acting_user=tfpb.world.landlord_agent)
    with pytest.raises(GuardFailed):
        do_change_programme_action(
            action,
            axis=action.axis,
            title="Autre",
            planned_amount="1",
            acting_user=tfpb.world.landlord_agent,
        )
    with pytest.raises(GuardFailed):
        do_remove_programme_action(action, acting_user=tfpb.world.landlord_agent)
    assert Action.objects.filter(pk=action.pk, title="Nettoyage renforcé des halls").exists()


def test_only_the_landlord_changes_its_actions_and_others_get_a_404_or_a_refusal(tfpb):
    programme = build_programme(tfpb)
    action = _first(programme)
    # the commune sees the programme (it signed the convention) but may not change it
    commune = _client(tfpb.world.commune_user)
    page = commune.get(reverse("tfpb-action-edit", args=[programme.pk, action.pk])).content.decode()
    assert "Seul le bailleur de la convention" in page and 'name="remove-action"' not in page
    assert commune.post(reverse("tfpb-action-remove", args=[programme.pk, action.pk])).status_code == 403
    # another commune does not see it at all
    other = _client(tfpb.world.commune_2_user)
    assert other.get(reverse("tfpb-action-edit", args=[programme.pk, action.pk])).status_code == 404
    with pytest.raises(RoleNotAllowed):
        do_change_programme_action(
            action, axis=action.axis, title="x", planned_amount="1", acting_user=tfpb.world.commune_user
        )
    # an action of another programme is not reachable through this one
    other_programme = build_programme(tfpb, year=2026)
    landlord = _client(tfpb.world.landlord_agent)
    url = reverse("tfpb-action-edit", args=[programme.pk, _first(other_programme).pk])
    assert landlord.get(url).status_code == 404
    assert Action.objects.filter(pk=action.pk).exists()


def test_the_action_refuses_a_bad_axis_and_an_empty_title_naming_the_fields(tfpb):
    programme = build_programme(tfpb)
    action = _first(programme)
    with pytest.raises(InvalidFields) as caught:
        do_change_programme_action(action, axis=None, title=" ", planned_amount="1", acting_user=None)
    assert set(caught.value.errors) == {"axis", "title"}


def test_the_api_changes_and_removes_an_action_of_an_editable_programme(tfpb, as_user):
    programme = build_programme(tfpb)
    first, second = programme.actions.order_by("pk")
    landlord = as_user(tfpb.world.landlord_agent)
    url = f"/api/v1/tfpb/programmes/{programme.pk}/actions/{first.pk}/"
    body = {"axis": "waste", "title": "Encombrants", "planned_amount_eur": "12 000,5"}

    refused = landlord.put(
        url, {**body, "location": {"type": "Point", "coordinates": list(OUTSIDE)}}, format="json"
    )
    assert refused.status_code == 400 and "location" in refused.json()["errors"]
    assert not TfpbAuditEntry.objects.filter(event="action_changed").exists()

    response = landlord.put(
        url, {**body, "location": {"type": "Point", "coordinates": list(INSIDE)}}, format="json"
    )
    assert response.status_code == 200, response.content
    changed = next(a for a in response.json()["actions"] if a["id"] == first.pk)
    assert (changed["axis"], changed["planned_amount_eur"]) == ("waste", "12000.50")
    assert changed["location"] == {"type": "Point", "coordinates": list(INSIDE)}

    response = landlord.delete(f"/api/v1/tfpb/programmes/{programme.pk}/actions/{second.pk}/")
    assert response.status_code == 200
    assert [a["id"] for a in response.json()["actions"]] == [first.pk]

    other = as_user(tfpb.world.commune_2_user)
    assert other.delete(url).status_code == 404
    do_submit_programme(programme, acting_user=tfpb.world.landlord_agent)
    assert landlord.delete(url).status_code in (400, 409)
    assert Action.objects.filter(pk=first.pk).exists()
