"""Helpers for browser tests: log in through the form, screenshot, run axe-core in the page."""

import json

from django.templatetags.static import static
from django.urls import reverse

from tests.factories import PASSWORD
from tests.web.conftest import ARTIFACTS

BLOCKING_IMPACTS = {"serious", "critical"}


def login(page, username):
    page.goto(page.base_url + reverse("login"))
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def logout(page):
    page.context.clear_cookies()


def screenshot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def axe_violations(page):
    """Serious and critical axe-core violations on the current page (WCAG 2.0/2.1 A and AA rules)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # from the site, not inline: the Content-Security-Policy refuses inline scripts
        page.add_script_tag(url=page.base_url + static("web/vendor/axe-core/axe.min.js"))
    results = page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']},
            resultTypes: ['violations'],
        })"""
    )
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "targets": [node["target"] for node in violation["nodes"]][:5],
        }
        for violation in results["violations"]
        if violation["impact"] in BLOCKING_IMPACTS
    ]


def assert_accessible(page):
    violations = axe_violations(page)
    assert not violations, "axe-core found serious/critical violations:\n" + json.dumps(violations, indent=1)
