"""Getting access in a real browser: accepting an invitation, asking for access from the login page and a
referent approving it from their organisation's people page, with axe-core on every step."""

import pytest
from django.urls import reverse

from accounts import actions
from accounts.models import AccessRequest, AccessRequestStatus, Invitation
from directory.models import User
from directory.roles import Role
from tests.web.browser import assert_accessible, login, screenshot

pytestmark = pytest.mark.browser

GOOD_PASSWORD = "Trottoir-Propre-2026"


def test_an_invited_person_creates_their_account_and_is_signed_in(page, browser_world):
    invitation = actions.do_invite_person(
        browser_world.commune,
        "lea.martin@example.org",
        [Role.REQUESTER],
        acting_user=browser_world.commune_user,
        first_name="Léa",
        last_name="Martin",
    )
    page.goto(page.base_url + reverse("invitation-accept", args=[actions.invitation_token(invitation)]))
    assert "Créer votre compte" in page.locator("h1").inner_text()
    assert_accessible(page)

    page.fill("#id_username", "lea.martin")
    page.fill("#id_password", GOOD_PASSWORD)
    page.fill("#id_password_again", "autre chose")
    page.click("main button[type=submit]")
    page.locator(".errorlist").first.wait_for()
    assert "ne sont pas identiques" in page.locator("main").inner_text()
    assert_accessible(page)
    assert not User.objects.filter(username="lea.martin").exists()

    page.fill("#id_password", GOOD_PASSWORD)
    page.fill("#id_password_again", GOOD_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(page.base_url + reverse("home"))
    assert "Votre compte est prêt" in page.locator("main").inner_text()
    screenshot(page, "invitation-accepted")
    assert_accessible(page)
    user = User.objects.get(username="lea.martin")
    assert user.organisation == browser_world.commune and user.role_codes == {Role.REQUESTER}
    assert Invitation.objects.get().accepted_user == user


def test_a_referent_approves_an_access_request_made_from_the_login_page(page, browser_world):
    page.goto(page.base_url + reverse("login"))
    page.get_by_role("link", name="Demander un accès").click()
    page.wait_for_url("**" + reverse("access-request"))
    assert_accessible(page)
    page.click("main button[type=submit]")  # empty: errors shown, nothing sent
    page.locator(".errorlist").first.wait_for()
    assert_accessible(page)
    assert AccessRequest.objects.count() == 0

    page.fill("#id_first_name", "Samir")
    page.fill("#id_last_name", "Benali")
    page.fill("#id_email", "samir.benali@example.org")
    page.select_option("#id_organisation", str(browser_world.commune.pk))
    page.fill("#id_job_title", "Gardien d'immeuble")
    page.fill("#id_reason", "Signaler les dépôts sauvages de ma résidence.")
    page.click("main button[type=submit]")
    page.get_by_role("heading", name="Demande envoyée").wait_for()
    assert_accessible(page)
    access_request = AccessRequest.objects.get()

    page.context.clear_cookies()
    login(page, "commune")
    page.click(f"nav >> a[href='{reverse('people')}']")
    card = page.locator(f"#access-request-{access_request.pk}")
    card.get_by_text("Signaler les dépôts sauvages").wait_for()
    assert_accessible(page)
    card.get_by_label("Demandeur").check()
    card.get_by_role("button", name="Accepter").click()
    page.get_by_text("une invitation a été envoyée à samir.benali@example.org").wait_for()
    screenshot(page, "access-request-approved")
    assert_accessible(page)
    access_request.refresh_from_db()
    assert access_request.status == AccessRequestStatus.APPROVED
    assert access_request.invitation.roles == [Role.REQUESTER]

    page.click("form[action$='/people/invite/'] button[type=submit]")  # the invite form sent empty
    page.locator(".errorlist").first.wait_for()
    assert_accessible(page)
