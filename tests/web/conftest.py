"""Browser tests: Playwright for Python driving Debian's Chromium against pytest-django's live server.

Tests marked `@pytest.mark.browser` are skipped, with the reason, when playwright or Chromium is
missing (`.ci/run` installs Chromium with apt-get; playwright is in the `dev` extra). Never
`playwright install`: the browser is the system's (GUP_CHROMIUM, default /usr/bin/chromium).
Screenshots go to artifacts/ (git-ignored); axe-core, vendored under web/static, runs in the page.
"""

import os
from pathlib import Path

import pytest
from django.conf import settings

CHROMIUM = os.environ.get("GUP_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(settings.BASE_DIR) / "artifacts"
AXE_JS = Path(settings.BASE_DIR) / "web" / "static" / "web" / "vendor" / "axe-core" / "axe.min.js"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def why_no_browser():
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (it is in the dev extra: pip install -e '.[dev]')"
    if not os.access(CHROMIUM, os.X_OK):
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium; never `playwright install`)"
    return None


def pytest_collection_modifyitems(config, items):
    reason = why_no_browser()
    if reason is None:
        return
    skip = pytest.mark.skip(reason=reason)
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def chromium():
    # Playwright's sync API keeps an event loop in this thread; the ORM calls the tests make beside it
    # are still synchronous, so Django's async-safety check is told so.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


# Every Content-Security-Policy violation of the page (gup/security.py), reported to the test.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.gupCspViolation(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile || document.location.pathname}:${event.lineNumber}`);
});
"""


@pytest.fixture
def page(chromium, live_server):
    """A fresh browser context in French on a desktop-sized window; JavaScript errors and violations
    of the Content-Security-Policy (event or console message) fail the test (``page.csp_violations``)."""
    context = chromium.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    violations = []

    def report(text):
        violations.append(text)

    context.expose_function("gupCspViolation", report)
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda message: "Content Security Policy" in message.text and violations.append(message.text),
    )
    page.base_url = live_server.url
    page.csp_violations = violations
    yield page
    context.close()
    assert not errors, f"JavaScript errors in the page: {errors}"
    assert not violations, f"Content-Security-Policy violations: {violations}"


@pytest.fixture
def browser_world(transactional_db, world):
    """The test territory, committed so that the live server's thread sees it."""
    return world


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The test territory creates eight users; the production hasher would spend seconds on them."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def procedure(db):
    """The intervention-request procedure, published as `make run` does it."""
    from importlib import import_module
    from io import StringIO

    from django.apps import apps
    from django.core.management import call_command

    # Browser tests run on a flushed database: put back the default calendar that a migration creates.
    import_module("engine.migrations.0002_default_calendar").create_default_calendar(apps, None)
    call_command("setup_procedures", stdout=StringIO(), stderr=StringIO())


@pytest.fixture
def category(db):
    """A category with an urgency criterion and two attributes (one required)."""
    from procedures.models import AttributeType, CategoryAttribute, UrgencyCriterion
    from tests.factories import make_category

    category = make_category("encombrants", name="Encombrants")
    UrgencyCriterion.objects.create(category=category, code="danger", label="Danger for passers-by")
    CategoryAttribute.objects.create(
        category=category, code="volume", label="Volume (m3)", type=AttributeType.NUMBER, min_value=0
    )
    CategoryAttribute.objects.create(
        category=category,
        code="access",
        label="Access blocked",
        type=AttributeType.SINGLE_CHOICE,
        choices=["pavement", "road", "none"],
        required=True,
    )
    return category
