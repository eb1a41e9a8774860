"""The notification centre (bell, list, mark as read), "Je prends" and sharing with a person chosen
from the directory, without a browser."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from engine.models import AuditEntry, OutboxEvent
from procedures import actions
from procedures.models import Notification, NotificationEvent
from tests.factories import make_user
from tests.web.test_requests import EN, body_of, file_request


@pytest.fixture
def setup(world, procedure, category):
    return world


def notify(user, text, request=None, minutes_ago=0, read=False):
    at = timezone.now() - timedelta(minutes=minutes_ago)
    return Notification.objects.create(
        user=user,
        request=request,
        event=NotificationEvent.FILED,
        text=text,
        created_at=at,
        read_at=at if read else None,
    )


# --- the notification centre ------------------------------------------------------------------------------
def test_the_bell_counts_the_unread_and_the_list_shows_the_newest_first_with_its_link(client, setup):
    filed = file_request(client, setup.commune_user)
    agent = setup.ctc_agent
    Notification.objects.all().delete()
    notify(agent, "Old one", minutes_ago=30)
    notify(agent, "Read one", minutes_ago=20, read=True)
    notify(agent, "Newest one", request=filed, minutes_ago=1)
    notify(setup.ctc_lead, "Not mine")
    client.force_login(agent)
    home = body_of(client.get(reverse("home"), **EN))
    assert 'id="notification-bell"' in home and '<span class="bell-count" aria-hidden="true">2</span>' in home
    assert "2 unread notifications" in home
    page = body_of(client.get(reverse("notification-list"), **EN))
    assert page.index("Newest one") < page.index("Read one") < page.index("Old one")
    assert "Not mine" not in page
    assert f'href="{reverse("request-detail", args=[filed.reference])}"' in page
    assert page.count('name="id"') == 2  # one "Mark as read" per unread notification
    french = body_of(client.get(reverse("notification-list")))
    assert "2 notifications non lues" in french and "Tout marquer comme lu" in french


def test_the_list_is_paginated_in_a_constant_number_of_queries(client, setup):
    agent = setup.ctc_agent

    def queries():
        with CaptureQueriesContext(connection) as context:
            response = client.get(reverse("notification-list"), **EN)
        assert response.status_code == 200
        return len(context.captured_queries)

    client.force_login(agent)
    notify(agent, "one")
    few = queries()
    for n in range(25):
        notify(agent, f"n{n}", minutes_ago=n)
    many = queries()
    assert many == few  # the notifications of the page, read once
    assert "Page 1 of 2" in body_of(client.get(reverse("notification-list"), **EN))


def test_marking_one_then_all_as_read_changes_only_the_users_rows(client, setup):
    agent = setup.ctc_agent
    first, second = notify(agent, "first"), notify(agent, "second")
    other = notify(setup.ctc_lead, "someone else's")
    client.force_login(agent)
    url = reverse("notification-read")
    response = client.post(url, {"id": [first.pk, other.pk], "next": reverse("home")}, **EN)
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert list(Notification.objects.filter(read_at__isnull=False).values_list("pk", flat=True)) == [first.pk]
    assert "1 notification marked as read." in body_of(client.get(reverse("home"), **EN))
    response = client.post(url, {"all": "1", "next": "https://elsewhere.example/"}, **EN)
    assert response.status_code == 302 and response["Location"] == reverse("notification-list")
    second.refresh_from_db()
    other.refresh_from_db()
    assert second.read_at is not None and other.read_at is None
    page = body_of(client.get(reverse("notification-list"), **EN))
    assert 'class="bell-count"' not in page and "0 unread notifications" in page


def test_marking_as_read_refuses_a_bad_request_with_a_400_and_changes_nothing(client, setup):
    unread = notify(setup.ctc_agent, "unread")
    client.force_login(setup.ctc_agent)
    for data in ({}, {"id": "abc"}):
        response = client.post(reverse("notification-read"), data, **EN)
        assert response.status_code == 400
    assert "A notification is named by its number." in body_of(response)
    assert client.get(reverse("notification-read")).status_code == 405
    unread.refresh_from_db()
    assert unread.read_at is None
    client.logout()
    assert client.post(reverse("notification-read"), {"all": "1"}).status_code == 302  # to the login page
    unread.refresh_from_db()
    assert unread.read_at is None


def test_htmx_marks_as_read_and_gets_the_list_and_the_bell_back(client, setup):
    unread = notify(setup.ctc_agent, "unread")
    client.force_login(setup.ctc_agent)
    response = client.post(
        reverse("notification-read"),
        {"id": unread.pk, "next": reverse("notification-list")},
        follow=True,
        HTTP_HX_REQUEST="true",
        **EN,
    )
    page = body_of(response)
    assert response.status_code == 200 and 'id="notifications"' in page and 'id="notification-bell"' in page
    unread.refresh_from_db()
    assert unread.read_at is not None


# --- "Je prends" --------------------------------------------------------------------------------------------
def test_an_agent_of_the_handler_unit_takes_the_request(client, setup):
    filed = file_request(client, setup.commune_user)
    detail = reverse("request-detail", args=[filed.reference])
    client.force_login(setup.ctc_agent)
    page = body_of(client.get(detail, **EN))
    assert "I'll take it" in page and reverse("request-take", args=[filed.reference]) in page
    assert "Je prends</button>" in body_of(client.get(detail))  # in French first
    events = OutboxEvent.objects.filter(case=filed.case, kind="case.role_assigned").count()
    response = client.post(reverse("request-take", args=[filed.reference]), **EN)
    assert response.status_code == 302 and response["Location"] == detail
    filed.refresh_from_db()
    assert filed.handler_agent == setup.ctc_agent
    entry = AuditEntry.objects.filter(case=filed.case, event="role_assigned").latest("pk")
    assert (entry.actor, entry.data["after"][-1]) == (setup.ctc_agent, f"user:{setup.ctc_agent.pk}")
    assert OutboxEvent.objects.filter(case=filed.case, kind="case.role_assigned").count() == events + 1
    page = body_of(client.get(detail, **EN))
    assert f"You are now in charge of {filed.reference}." in page and "I'll take it" not in page


def test_nobody_else_may_take_it_and_nothing_changes(client, setup):
    filed = file_request(client, setup.commune_user)
    actions.do_take_request(filed, acting_user=setup.ctc_agent)
    before = AuditEntry.objects.count()
    url = reverse("request-take", args=[filed.reference])
    client.force_login(setup.ctc_lead)  # already taken by a colleague
    assert "I'll take it" not in body_of(client.get(reverse("request-detail", args=[filed.reference]), **EN))
    assert client.post(url, **EN).status_code == 403
    client.force_login(setup.commune_user)  # not an agent
    assert client.post(url, **EN).status_code == 403
    client.force_login(setup.waste_agent)  # another unit: out of scope
    assert client.post(url, **EN).status_code == 404
    filed.refresh_from_db()
    assert filed.handler_agent == setup.ctc_agent and AuditEntry.objects.count() == before


def test_may_take_request_is_false_for_a_closed_or_unroutable_request(setup, client):
    filed = file_request(client, setup.commune_user)
    assert actions.may_take_request(filed, setup.ctc_agent) is True
    assert actions.may_take_request(filed, setup.dvq_officer) is False
    actions.do_transition_request(
        filed, "reject", acting_user=setup.ctc_agent, fields={"turn_to": "x"}, reason="x"
    )
    filed.refresh_from_db()
    assert actions.may_take_request(filed, setup.ctc_agent) is False


# --- sharing with a person chosen from the directory --------------------------------------------------------
def test_the_share_form_offers_the_people_of_the_directory_by_name_and_organisation(client, setup):
    filed = file_request(client, setup.commune_user)
    make_user(setup.landlord, username="jdupont", first_name="Jeanne", last_name="Dupont")
    make_user(setup.landlord, username="gone", first_name="Parti", last_name="Ailleurs", is_active=False)
    client.force_login(setup.ctc_agent)
    page = body_of(client.get(reverse("request-detail", args=[filed.reference]), **EN))
    form = page[page.index('name="share-user"') - 200 :]
    form = form[: form.index("</select>")]
    assert '<optgroup label="Bailleur">' in form
    assert '<option value="jdupont">Jeanne Dupont (jdupont)</option>' in form
    assert 'value="gone"' not in form and 'value="ctc"' not in form  # inactive, and oneself
    response = client.post(reverse("request-share", args=[filed.reference]), {"share-user": "jdupont"}, **EN)
    assert response.status_code == 302
    assert AuditEntry.objects.filter(case=filed.case, event="shared", actor=setup.ctc_agent).count() == 1
    page = body_of(client.get(reverse("request-detail", args=[filed.reference]), **EN))
    form = page[page.index('name="share-user"') :]
    assert 'value="jdupont"' not in form[: form.index("</select>")]  # already listed above
