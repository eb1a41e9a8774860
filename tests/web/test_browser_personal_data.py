"""Marking personal data in a real browser: the box under a comment, and « Des données personnelles ? »
beside a text to mark some passages, with axe-core on the request page (the forms open and shown)."""

import pytest

from accounts.models import PersonalDataMark
from engine.models import Comment
from tests.web.browser import assert_accessible, login
from tests.web.test_browser_journeys import file_directly, open_request

pytestmark = pytest.mark.browser


def test_a_commune_marks_a_comment_and_a_passage_of_its_description(page, browser_world, procedure, category):
    filed = file_directly(browser_world, description="Mme Durand, 3e étage, ne peut plus sortir")
    login(page, "commune")
    open_request(page, filed.reference)
    page.fill("#id_body", "Elle est joignable au 06 12 34 56 78")
    page.check("#id_personal_data")
    page.click("form[action$='/comments/'] button[type=submit]")
    page.locator(".personal-mark .badge").first.wait_for()
    comment = Comment.objects.get(case=filed.case)
    assert PersonalDataMark.objects.get(text="comment").object_id == comment.pk

    section = page.locator("section[aria-labelledby=what]")
    section.locator("summary").click()
    assert_accessible(page)
    section.locator("textarea[name=passages]").fill("mme durand")
    section.get_by_role("button", name="Marquer comme données personnelles").click()
    page.locator("section[aria-labelledby=what] .badge").wait_for()
    assert "1 passage de données personnelles" in section.inner_text()
    assert PersonalDataMark.objects.get(text="description").spans == [[0, 10]]
    assert_accessible(page)
