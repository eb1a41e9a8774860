from django.urls import reverse

from tests.factories import PASSWORD


def test_the_home_page_asks_an_anonymous_visitor_to_log_in(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_ctc_agent_logs_in_and_sees_their_organisation_and_roles(client, world):
    response = client.post(reverse("login"), {"username": "ctc", "password": PASSWORD})
    assert response.status_code == 302
    response = client.get(reverse("home"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "CTC Un" in body and "Communauté urbaine" in body
    assert 'lang="fr"' in body


def test_a_wrong_password_is_refused_with_a_message(client, world):
    response = client.post(reverse("login"), {"username": "ctc", "password": "nope"})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_interface_is_available_in_english(client, world):
    client.force_login(world.ctc_agent)
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en")
    assert 'lang="en"' in response.content.decode()
