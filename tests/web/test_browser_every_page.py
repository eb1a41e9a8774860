"""axe-core on every page of `web/`, taken from the URL configuration so that a new page cannot escape it.

Every named URL of the `web` urlconf is either visited (the table PAGES says how to build it and who
visits it; a parameterless name missing from the table is visited by the administrator, so a new simple
page is covered by itself) or excluded with a reason (NOT_PAGES: data, exports, POST-only actions). A
parameterised name in neither makes the test fail ("add <name> to the table"). Each page is visited in
French and in English, at 1366 px and at 390 px, in its empty and filled states, and the forms in their
error state; the administrators' daily admin pages too. The report (pages, violations) is saved to
artifacts/accessibility-report.json; the test fails on any serious or critical violation.
"""

import json
import time

import pytest
from django.db import connection
from django.urls import get_resolver, reverse

from directory.models import Referent
from tests.diagnostics.conftest import make_walk
from tests.factories import PASSWORD
from tests.tfpb.builders import build_programme, build_tfpb
from tests.web.browser import axe_violations
from tests.web.conftest import ARTIFACTS, CSP_LISTENER
from tests.web.steering_pages import steering_data
from tests.web.test_browser_journeys import file_directly

pytestmark = pytest.mark.browser

# Named URLs of web/ that are not HTML pages, each with the reason it is not visited.
NOT_PAGES = {
    "logout": "POST-only: ends the session",
    "map-layers": "GeoJSON data for the map",
    "map-address-search": "GeoJSON data (address search)",
    "request-export": "CSV/XLSX export",
    "request-points": "GeoJSON data for the list's map",
    "request-new-category-fields": "htmx fragment of the filing form (checked inside request-new)",
    "request-new-duplicates": "htmx fragment of the filing form (checked inside request-new)",
    "request-take": "POST-only action",
    "request-follow": "POST-only action",
    "request-transition": "POST-only action (its forms are on request-detail)",
    "request-comment": "POST-only action (its error state is checked on request-detail)",
    "request-attach": "POST-only action",
    "request-personal-data-mark": "POST-only action (its error state is checked on request-detail)",
    "request-personal-data-unmark": "POST-only action",
    "request-attachment": "file download, not a page",
    "request-share": "POST-only action",
    "request-unshare": "POST-only action",
    "request-alert-raise": "POST-only action",
    "request-fine": "POST-only action (its error state is checked on request-detail)",
    "request-time-spent": "POST-only action (its error state is checked on request-detail)",
    "request-alert-answer": "POST-only action",
    "request-alert-close": "POST-only action",
    "queue-export": "CSV/XLSX export",
    "queue-points": "GeoJSON data for the queue's map",
    "queue-assign": "POST-only action",
    "dvq-export": "CSV/XLSX export",
    "observation-export": "CSV/XLSX export of the requests behind the figures",
    "observation-table-export": "CSV/XLSX export of one of the Observation page's tables",
    "review-edit": "POST-only action (its form is on review-detail)",
    "review-publish": "POST-only action",
    "review-correct": "POST-only action",
    "review-pdf": "PDF download",
    "review-xlsx": "XLSX download",
    "review-detail": "needs a review: axe runs on it in tests/web/test_browser_observation.py",
    "notification-read": "POST-only action",
    "tfpb-overview-xlsx": "XLSX export",
    "tfpb-programme-create": "POST-only action (its form is on tfpb-home)",
    "tfpb-chart": "SVG image of tfpb-review (its numbers are in the table beside)",
    "tfpb-programme-xlsx": "XLSX export",
    "tfpb-programme-pdf": "PDF export",
    "tfpb-action-add": "POST-only action (its form is on tfpb-programme)",
    "tfpb-action-remove": "POST-only action (its form is on tfpb-action-edit)",
    "tfpb-submit": "POST-only action",
    "tfpb-realisation": "POST-only action (its forms are on tfpb-programme)",
    "tfpb-document-add": "POST-only action",
    "tfpb-review-submit": "POST-only action",
    "tfpb-answer": "POST-only action (its form is on tfpb-programme)",
    "invitation-accept": "needs a fresh single-use link: axe-core runs on it in test_browser_accounts.py",
    "people-invite": "POST-only action (its error state is checked in tests/web/test_browser_accounts.py)",
    "person-active": "POST-only action",
    "access-request-approve": "POST-only action (checked in tests/web/test_browser_accounts.py)",
    "access-request-refuse": "POST-only action",
    "steering-meeting-answer": "POST-only action (its error state is checked in test_browser_steering)",
    "steering-meeting-ics": "iCalendar file",
    "steering-meeting-document": "file download, not a page",
    "steering-feed": "iCalendar feed",
    "steering-feed-reset": "POST-only action",
    "steering-meeting-send": "POST-only action (its button is on steering-meeting)",
    "steering-topic-choose": "POST-only action (its buttons are on steering-meeting)",
    "steering-action-status": "POST-only action (its error state is checked in test_browser_steering)",
    "steering-questionnaire-export": "XLSX export",
    "steering-agenda-item-remove": "POST-only action (its buttons are on steering-meeting)",
    "steering-recommendations-export": "XLSX export",
    "steering-recommendations-pdf": "PDF download of steering-recommendations",
    "diagnostic-service-worker": "JavaScript: the service worker of the recording page",
    "diagnostic-move": "POST-only action (its buttons are on diagnostic-detail)",
    "diagnostic-convert": "POST-only action (its form is on diagnostic-analysis)",
    "diagnostic-report-pdf": "PDF download of diagnostic-report",
    "diagnostic-photo": "file download, not a page",
    "sector-map-data": "GeoJSON data for the sub-sector procedure's map",
    "sector-approval-answer": "POST-only action (its form and errors are on sector-inbox)",
    "sector-evaluation-answer": "POST-only action (its forms are on sector-inbox)",
    "sector-clect-export": "CSV / XLSX export of sector-clect-detail",
    "sector-version-open": "POST-only action (its form and errors are on sector-detail)",
}

ROLES = ["commune", "ctc", "dvq", "waste", "landlord", "admin"]
LIST_PAGES = {"home", "request-list", "queue", "dvq-dashboard", "notification-list", "directory-home", "map"}
LIST_PAGES |= {
    "steering-meetings",
    "steering-calendar",
    "steering-actions",
    "steering-recommendations",
    "guide-list",
}

# name -> (who visits it, how to build its kwargs from the test's data). Unlisted parameterless names: admin.
PAGES = {
    "home": (ROLES, None),
    "login": (["anonymous"], None),
    "access-request": (["anonymous"], None),
    "people": (["commune", "admin"], None),
    "password_change": (["commune"], None),
    "password_change_done": (["commune"], None),
    "map": (["commune", "ctc"], None),
    "request-list": (["commune", "ctc", "landlord"], None),
    "request-new": (["commune", "landlord"], None),
    "request-detail": (["commune", "ctc", "dvq"], lambda data: {"reference": data["reference"]}),
    "queue": (["ctc", "waste"], None),
    "dvq-dashboard": (["dvq"], None),
    "observation": (["dvq", "commune", "landlord"], None),
    "review-list": (["dvq", "commune"], None),
    "notification-list": (["commune", "ctc"], None),
    "directory-home": (["commune"], None),
    "directory-org": (["commune"], lambda data: {"code": data["organisation"]}),
    "directory-referent": (["commune"], lambda data: {"pk": data["referent"]}),
    "tfpb-home": (["landlord", "commune", "admin"], None),
    "tfpb-inbox": (["commune"], None),
    "tfpb-overview": (["admin"], None),
    "tfpb-programme": (["landlord", "commune"], lambda data: {"pk": data["tfpb_programme"]}),
    "tfpb-review": (["landlord", "admin"], lambda data: {"pk": data["tfpb_programme"]}),
    "tfpb-action-edit": (
        ["landlord"],
        lambda data: {"pk": data["tfpb_draft"], "action_id": data["tfpb_draft_action"]},
    ),
    "steering-meetings": (["commune", "dvq"], None),
    "steering-calendar": (["commune", "dvq"], None),
    "steering-meeting": (["commune", "dvq"], lambda data: {"pk": steering_data(data)["meeting"]}),
    "steering-meeting-new": (["dvq"], None),
    "steering-meeting-edit": (["dvq"], lambda data: {"pk": steering_data(data)["meeting"]}),
    "steering-meeting-cancel": (["dvq"], lambda data: {"pk": steering_data(data)["meeting"]}),
    "steering-meeting-minutes": (["dvq"], lambda data: {"pk": steering_data(data)["held"]}),
    "steering-decision-action": (
        ["dvq"],
        lambda data: {"pk": steering_data(data)["held"], "decision_id": steering_data(data)["decision"]},
    ),
    "steering-agenda-item-edit": (
        ["dvq"],
        lambda data: {"pk": steering_data(data)["meeting"], "item_id": steering_data(data)["agenda_item"]},
    ),
    "steering-observation-topics": (["dvq"], lambda data: {"pk": steering_data(data)["meeting"]}),
    "steering-meeting-document-new": (["dvq"], lambda data: {"pk": steering_data(data)["meeting"]}),
    "steering-topic-propose": (["commune"], lambda data: {"pk": steering_data(data)["meeting"]}),
    "steering-actions": (["commune", "dvq"], None),
    "steering-action": (["commune", "dvq"], lambda data: {"pk": steering_data(data)["action"]}),
    "steering-action-links": (["dvq"], lambda data: {"pk": steering_data(data)["action"]}),
    "steering-questionnaire-answer": (["commune"], lambda data: {"pk": steering_data(data)["questionnaire"]}),
    "steering-questionnaire-results": (["dvq"], lambda data: {"pk": steering_data(data)["questionnaire"]}),
    "steering-recommendations": (["dvq"], None),
    "guide-list": (["commune"], None),
    "guide-new": (["dvq"], None),
    "guide-edit": (["dvq"], lambda data: {"slug": steering_data(data)["guide"]}),
    "guide-page": (["commune"], lambda data: {"slug": steering_data(data)["guide"]}),
    "guide-version": (["commune"], lambda data: {"slug": steering_data(data)["guide"], "number": 1}),
    "diagnostic-list": (["commune", "landlord"], None),
    "diagnostic-new": (["commune"], None),
    "diagnostic-detail": (["commune", "landlord"], lambda data: {"pk": data["diagnostic"]}),
    "diagnostic-record": (["commune"], lambda data: {"pk": data["diagnostic"]}),
    "diagnostic-route": (["commune"], lambda data: {"pk": data["diagnostic"]}),
    "diagnostic-analysis": (["commune"], lambda data: {"pk": data["diagnostic"]}),
    "diagnostic-report": (["commune"], lambda data: {"pk": data["diagnostic"]}),
    "sector-list": (["commune", "admin"], None),
    "sector-new": (["admin"], None),
    "sector-inbox": (["commune", "landlord"], None),
    "sector-detail": (["commune", "admin"], lambda data: {"code": data["sector"]}),
    "sector-version-edit": (["admin"], lambda data: {"code": data["sector"], "number": 1}),
    "sector-clect-list": (["commune", "admin"], None),
    "sector-clect-detail": (["commune", "admin"], lambda data: {"code": data["clect"]}),
}

# The admin pages the administrators use every day.
ADMIN_PAGES = [
    ("admin:index", lambda data: {}),
    ("admin:procedures_interventionrequest_changelist", lambda data: {}),
    ("admin:engine_case_changelist", lambda data: {}),
    ("admin:procedures_category_change", lambda data: {"object_id": data["category"]}),
    ("admin:directory_user_changelist", lambda data: {}),
    ("admin:engine_procedureversion_changelist", lambda data: {}),
    ("admin:procedures_clectgroup_changelist", lambda data: {}),
]

LANGUAGES = ["fr", "en"]
WIDTHS = {1366: {"width": 1366, "height": 900}, 390: {"width": 390, "height": 844}}


def web_url_names():
    """Every named URL of the `web` urlconf, with whether it takes parameters."""
    resolver = get_resolver("web.urls")
    return {
        pattern.name: bool(pattern.pattern.regex.groups)
        for pattern in resolver.url_patterns
        if getattr(pattern, "name", None)
    }


def pages_to_visit():
    """(name, visitors, kwargs builder) for every page; the names nobody said how to build."""
    pages, missing = [], []
    for name, has_parameters in sorted(web_url_names().items()):
        if name in NOT_PAGES:
            continue
        if name in PAGES:
            visitors, build = PAGES[name]
        elif has_parameters:
            missing.append(name)
            continue
        else:
            visitors, build = ["admin"], None
        pages.append((name, visitors, build or (lambda data: {})))
    return pages, missing


def test_every_named_url_of_web_is_visited_or_excluded_with_a_reason():
    _, missing = pages_to_visit()
    assert not missing, "".join(f"add {name} to the table PAGES of {__name__}\n" for name in missing)
    stale = (set(PAGES) | set(NOT_PAGES)) - set(web_url_names())
    assert not stale, f"no such URL name in web/urls.py any more: {sorted(stale)}"


class Visitor:
    """One browser context per (user, language, width), logged in once; every page's CSP violations and
    JavaScript errors are collected beside axe's."""

    def __init__(self, chromium, base_url, storage_states):
        self.chromium, self.base_url, self.storage_states = chromium, base_url, storage_states
        self.contexts = {}
        self.problems = []

    def page(self, user, language, width):
        key = (user, language, width)
        if key not in self.contexts:
            context = self.chromium.new_context(
                locale="fr-FR", viewport=WIDTHS[width], storage_state=self.storage_states.get(user)
            )
            context.set_default_timeout(15_000)
            context.add_cookies([{"name": "django_language", "value": language, "url": self.base_url}])
            context.expose_function("gupCspViolation", self.csp_violation)
            context.add_init_script(CSP_LISTENER)
            page = context.new_page()
            page.on("pageerror", lambda error: self.problems.append(f"JavaScript: {error}"))
            page.base_url = self.base_url
            self.contexts[key] = page
        return self.contexts[key]

    def csp_violation(self, text):
        # axe-core's own style element (the test's tool, not the product) is refused too: not reported.
        if "/axe-core/axe.min.js" not in text:
            self.problems.append(f"CSP: {text}")

    def close(self):
        for page in self.contexts.values():
            page.context.close()


def sector_procedure(world):
    """A sub-sector procedure in approval, waiting for the commune (its detail page and the inbox)."""
    from shapely.geometry import box, mapping

    from engine.models import ProcedureVersion
    from procedures.sectors import actions, approvals

    version = actions.do_create_sector_procedure(
        acting_user=world.admin_user,
        code="browser-sector",
        title="Secteur de test (fictif)",
        starts_on="2026-01-05",
        evaluation_month=1,
        partners=[(world.commune, world.commune_user, "Commune")],
        intervention_version=ProcedureVersion.objects.filter(status="published").order_by("-number").first(),
    )
    actions.do_set_sector_perimeter(
        version, acting_user=world.admin_user, geometry=mapping(box(1.702, 48.982, 1.718, 48.998))
    )
    approvals.do_submit_sector_version(version, acting_user=world.admin_user)
    return version.procedure.code


def clect_group(world, sector_code):
    """A CLECT group with the QPV and the sub-sector procedure (its page, with the figures of the year)."""
    from procedures.sectors import clect
    from procedures.sectors.models import SectorProcedure

    group = clect.do_create_clect_group(
        acting_user=world.admin_user, code="browser-clect", name="Groupe test"
    )
    for member in ({"perimeter": world.qpv}, {"procedure": SectorProcedure.objects.get(code=sector_code)}):
        clect.do_add_clect_member(group, acting_user=world.admin_user, starts_on="2026-01-01", **member)
    return group.code


def log_in_everyone(chromium, base_url):
    """Each role's session, logged in once through the form and reused by every context."""
    states = {}
    for user in ROLES:
        context = chromium.new_context(locale="fr-FR")
        page = context.new_page()
        page.goto(base_url + reverse("login"))
        page.fill("#id_username", user)
        page.fill("#id_password", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        states[user] = context.storage_state()
        context.close()
    return states


def test_every_page_has_no_serious_accessibility_violation_in_both_languages_and_widths(
    chromium, live_server, browser_world, procedure, category
):
    started = time.monotonic()
    pages, missing = pages_to_visit()
    assert not missing, "".join(f"add {name} to the table PAGES of {__name__}\n" for name in missing)
    world = browser_world
    referent = Referent.objects.create(
        organisation=world.cu, unit=world.ctc, first_name="Camille", last_name="Martin", function="manager"
    )
    data = {"organisation": world.cu.code, "referent": referent.pk, "category": category.pk}
    tfpb = build_tfpb(world)
    data["tfpb_programme"] = build_programme(tfpb, submit=True).pk  # TFPB: in review
    draft = build_programme(tfpb, year=2026)  # TFPB: a draft, its actions editable (map to place them)
    data["tfpb_draft"], data["tfpb_draft_action"] = draft.pk, draft.actions.first().pk
    data["sector"] = sector_procedure(world)
    data["clect"] = clect_group(world, data["sector"])
    report = {"database": connection.vendor, "visits": [], "violations": []}
    visitor = Visitor(chromium, live_server.url, log_in_everyone(chromium, live_server.url))

    def check(page, label, user, language, width):
        page.wait_for_load_state("load")
        assert page.locator("html").get_attribute("lang") == language, f"{label} is not in {language}"
        found = axe_violations(page)
        entry = {"page": label, "url": page.url, "user": user, "language": language, "width": width}
        report["visits"].append({**entry, "violations": len(found)})
        for violation in found:
            report["violations"].append({**entry, **violation})

    def visit(state, name, user, url, language, width):
        page = visitor.page(user, language, width)
        response = page.goto(url)
        assert response.status == 200, f"{name} as {user}: HTTP {response.status}"
        check(page, f"{name} ({state})", user, language, width)
        return page

    try:
        # Empty: the fresh territory, nothing filed yet (the list pages).
        for language in LANGUAGES:
            for width in WIDTHS:
                for name, visitors, _build in pages:
                    if name in LIST_PAGES:
                        for user in visitors:
                            visit("empty", name, user, live_server.url + reverse(name), language, width)

        # Filled: requests filed through the action layer, one urgent, and a comment.
        filed = file_directly(world)
        file_directly(world, urgency="urgent", urgency_criteria=["danger"], description="Un frigo")
        file_directly(world, description="Des gravats devant le hall", lon=1.702, lat=48.998)
        data["reference"] = filed.reference
        data["diagnostic"] = make_walk(world).pk  # a walking diagnostic under analysis, with findings
        for language in LANGUAGES:
            for width in WIDTHS:
                for name, visitors, build in pages:
                    url = live_server.url + reverse(name, kwargs=build(data))
                    for user in visitors:
                        visit("filled", name, user, url, language, width)
                for name, build in ADMIN_PAGES:
                    url = live_server.url + reverse(name, kwargs=build(data))
                    visit("filled", name, "admin", url, language, width)

                # Error states: the forms sent empty or wrong, with their errors shown.
                new_url = live_server.url + reverse("request-new")
                page = visit("before sending", "request-new", "commune", new_url, language, width)
                page.click("button[name=file]")
                page.locator(".errorlist, [aria-invalid=true]").first.wait_for()
                check(page, "request-new (errors shown)", "commune", language, width)

                page = visitor.page("commune", language, width)
                page.goto(live_server.url + reverse("request-detail", args=[filed.reference]))
                page.fill("#id_body", " ")
                page.locator("form[action$='/comments/'] button[type=submit]").click()
                page.locator(".errorlist, [aria-invalid=true]").first.wait_for()
                check(page, "request-detail (comment errors shown)", "commune", language, width)

                page = visitor.page("anonymous", language, width)
                page.goto(live_server.url + reverse("login"))
                page.fill("#id_username", "commune")
                page.fill("#id_password", "not the password")
                page.click("main button[type=submit]")
                page.locator(".errorlist, .errornote, [role=alert]").first.wait_for()
                check(page, "login (wrong password)", "anonymous", language, width)

                page = visitor.page("dvq", language, width)
                page.goto(live_server.url + reverse("steering-meeting-new"))
                page.click("main form.steering-form button[type=submit]")
                page.locator(".errorlist").first.wait_for()
                check(page, "steering-meeting-new (errors shown)", "dvq", language, width)
    finally:
        visitor.close()
        report["seconds"] = round(time.monotonic() - started, 1)
        report["pages"] = sorted({visit["page"] for visit in report["visits"]})
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "accessibility-report.json").write_text(json.dumps(report, indent=1, ensure_ascii=False))

    assert report["visits"], "no page was visited"
    assert not visitor.problems, "JavaScript errors or CSP violations:\n" + "\n".join(visitor.problems)
    assert not report["violations"], "axe-core found serious/critical violations:\n" + "\n".join(
        f"{v['page']} [{v['user']}, {v['language']}, {v['width']} px] {v['id']}: {v['targets']}"
        for v in report["violations"]
    )
