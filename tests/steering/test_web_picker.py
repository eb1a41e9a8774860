"""The searchable invitee picker of the meeting forms without JavaScript: the "Search" button sends the
form back with the people filtered by the server, keeps what was typed and ticked, saves nothing; the
meeting is then created with the people ticked."""

import html
import re

import pytest

from directory.models import User
from steering.models import Invitation, Meeting
from tests.steering.conftest import audit_events
from tests.steering.test_web_forms import meeting_fields
from web.views_steering import invitee_picker

pytestmark = pytest.mark.django_db


def text(response):
    return html.unescape(response.content.decode())


def listed(response):
    """The people offered as checkboxes, by id."""
    body = response.content.decode()
    return {int(v) for v in re.findall(r'name="invited_people" value="(\d+)"', body)}


@pytest.fixture
def named(people):
    for user, (first, last) in {
        people.commune_user: ("Camille", "Martin"),
        people.commune_2_user: ("Camille", "Durand"),
        people.ctc_agent: ("Hugo", "Martinez"),
    }.items():
        user.first_name, user.last_name = first, last
        user.save(update_fields=["first_name", "last_name"])
    return people


def test_the_search_button_filters_the_people_and_keeps_what_was_typed(named, now, client):
    client.force_login(named.dvq_officer)
    page = client.get("/steering/meetings/new/")
    active = set(User.objects.filter(is_active=True).values_list("pk", flat=True))
    assert listed(page) == active and 'role="status"' in text(page)
    fields = meeting_fields(named, invited_people=[named.commune_2_user.pk], invited_organisations=[])
    response = client.post(
        "/steering/meetings/new/", {**fields, "people_search": "martin", "search_people": "1"}
    )
    body = text(response)
    assert response.status_code == 200 and "errorlist" not in body
    # the ticked person stays, the matches follow (Martin, Martinez), nobody else
    assert listed(response) == {named.commune_2_user.pk, named.commune_user.pk, named.ctc_agent.pk}
    assert "2 personnes correspondent à « martin »." in body and "1 personne cochée." in body
    assert re.search(rf'value="{named.commune_2_user.pk}"[^>]*checked', response.content.decode())
    assert 'value="Comité technique GUP"' in body and 'value="2026-10-20T14:00"' in body
    assert not Meeting.objects.exists() and audit_events() == []
    narrowed = client.post(
        "/steering/meetings/new/", {**fields, "people_search": "camille commune", "search_people": "1"}
    )
    assert listed(narrowed) == {named.commune_2_user.pk, named.commune_user.pk}


def test_the_meeting_is_created_with_the_people_ticked_in_the_picker(named, now, client):
    client.force_login(named.dvq_officer)
    fields = meeting_fields(
        named, invited_people=[named.ctc_agent.pk, named.commune_2_user.pk], invited_organisations=[]
    )
    response = client.post("/steering/meetings/new/", {**fields, "people_search": "martin"})
    assert response.status_code == 302
    meeting = Meeting.objects.get()
    assert set(Invitation.objects.filter(meeting=meeting).values_list("person_id", flat=True)) == {
        named.ctc_agent.pk,
        named.commune_2_user.pk,
    }


def test_an_unknown_invitee_is_refused_on_the_picker_and_nothing_is_saved(named, now, client):
    client.force_login(named.dvq_officer)
    response = client.post(
        "/steering/meetings/new/", meeting_fields(named, invited_people=[999999], invited_organisations=[])
    )
    assert response.status_code == 400
    body = text(response)
    assert 'id="id_invited_people-errors"' in body and "999999" in body
    assert not Meeting.objects.exists() and audit_events() == []


def test_a_long_directory_lists_the_first_people_and_says_to_search(named, now, client, monkeypatch):
    monkeypatch.setattr(invitee_picker, "LIMIT", 2)
    client.force_login(named.dvq_officer)
    page = client.get("/steering/meetings/new/")
    assert len(listed(page)) == 2
    assert "Les 2 premières sont listées : cherchez pour réduire la liste." in text(page)


def test_the_edit_form_searches_too_and_invites_the_people_ticked(named, now, client):
    client.force_login(named.dvq_officer)
    client.post("/steering/meetings/new/", meeting_fields(named, invited_people=[], invited_organisations=[]))
    meeting = Meeting.objects.get()
    url = f"/steering/meetings/{meeting.pk}/edit/"
    fields = meeting_fields(named, invited_people=[], invited_organisations=[], agenda="")
    searched = client.post(url, {**fields, "people_search": "durand", "search_people": "1"})
    assert searched.status_code == 200 and listed(searched) == {named.commune_2_user.pk}
    response = client.post(url, {**fields, "invited_people": [named.commune_2_user.pk]})
    assert response.status_code == 302
    assert list(meeting.invitations.values_list("person_id", flat=True)) == [named.commune_2_user.pk]
