"""The phone page of a walking diagnostic in a real browser, on a phone-sized screen: findings recorded
with the network cut (Playwright's offline mode) wait on the phone, the page opens again offline, and
once the network is back every finding arrives exactly once; the route recorded from the phone's GPS
(Playwright's geolocation emulation) likewise; photos are previewed before they are sent; axe-core on the
pages."""

import datetime
import re

import pytest
from django.urls import reverse

from diagnostics.actions import (
    do_create_diagnostic,
    do_create_grid_version,
    do_move_diagnostic,
    do_publish_grid_version,
)
from diagnostics.models import Finding, FindingPhoto, GridItem, RouteTrack
from tests.diagnostics.conftest import GRID, PNG
from tests.factories import PASSWORD, make_category
from tests.web.browser import assert_accessible, screenshot
from tests.web.conftest import CSP_LISTENER

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def walk(browser_world):
    world = browser_world
    make_category("bulky", name="Encombrants")
    version = do_publish_grid_version(
        do_create_grid_version(GRID, acting_user=world.admin_user), acting_user=world.admin_user
    )
    diagnostic = do_create_diagnostic(
        acting_user=world.commune_user,
        commune=world.commune,
        title="Diagnostic du QPV Un",
        date=datetime.date(2026, 11, 20),
        grid_version=version,
        qpv=world.qpv,
        participants=[world.landlord],
    )
    return do_move_diagnostic(diagnostic, "start_field", acting_user=world.commune_user)


def phone_page(chromium, live_server, username, geolocation=None):
    options = {"permissions": ["geolocation"], "geolocation": geolocation} if geolocation else {}
    context = chromium.new_context(locale="fr-FR", viewport=PHONE, is_mobile=True, has_touch=True, **options)
    context.set_default_timeout(15_000)
    problems = []
    context.expose_function("gupCspViolation", lambda text: problems.append(text))
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.base_url = live_server.url
    page.goto(live_server.url + reverse("login"))
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    return page, problems


def record(page, expect, item_id, rating, comment, n):
    page.fill("#finding-lat", "48,99")
    page.fill("#finding-lon", f"1.71{n}")
    page.select_option("#finding-item", str(item_id))
    page.locator(f"input[name=rating][value='{rating}']").check()
    page.fill("#finding-comment", comment)
    page.set_input_files(
        "#finding-photos", files=[{"name": f"constat-{n}.png", "mimeType": "image/png", "buffer": PNG}]
    )
    preview = page.locator("#photo-previews img")  # shown before it is kept, from an object URL
    expect(preview).to_have_count(1)
    expect(preview).to_have_attribute("alt", f"Photo 1 de ce constat : constat-{n}.png")
    expect(preview).to_have_attribute("src", re.compile(r"^blob:"))
    assert preview.evaluate("img => img.complete && img.naturalWidth") == 1
    page.click("#save-finding")
    expect(page.locator("#pending-count")).to_have_text(str(n))
    expect(preview).to_have_count(0)


def test_findings_recorded_offline_arrive_once_when_the_network_is_back(chromium, live_server, walk):
    from playwright.sync_api import expect

    items = list(GridItem.objects.filter(theme__version=walk.grid_version).order_by("pk"))
    page, problems = phone_page(chromium, live_server, "commune")
    url = live_server.url + reverse("diagnostic-record", args=[walk.pk])
    page.goto(url)
    expect(page.locator("body")).to_have_attribute("data-offline-ready", "1")
    assert_accessible(page)

    page.context.set_offline(True)
    for n in (1, 2, 3):
        record(page, expect, items[n - 1].pk, n, f"Constat hors ligne {n}", n)
    expect(page.locator("#network-state")).to_contain_text("Pas de réseau")
    assert Finding.objects.count() == 0

    page.reload()  # without network: the service worker's copy of the page, the findings still waiting
    expect(page.locator("#pending-count")).to_have_text("3")
    expect(page.locator("#pending-list li")).to_have_count(3)
    waiting = page.locator("#pending-list img")  # the photos waiting, from the phone's own store
    expect(waiting).to_have_count(3)
    expect(waiting.first).to_have_attribute("alt", re.compile(r"^Photo 1 du constat en attente : "))
    screenshot(page, "diagnostics-record-offline-390")

    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("#pending-count")).to_have_text("0")
    expect(page.locator("#sent-count")).to_have_text("3")
    page.click("#send-now")  # nothing left to send: nothing sent again
    expect(page.locator("#pending-count")).to_have_text("0")
    findings = list(Finding.objects.order_by("comment"))
    assert [f.comment for f in findings] == [f"Constat hors ligne {n}" for n in (1, 2, 3)]
    assert len({f.client_id for f in findings}) == 3
    assert [f.rating for f in findings] == [1, 2, 3]
    assert FindingPhoto.objects.count() == 3
    assert abs(findings[0].lat - 48.99) < 1e-9
    assert_accessible(page)

    do_move_diagnostic(walk, "start_analysis", acting_user=walk.created_by)
    page.goto(live_server.url + reverse("diagnostic-analysis", args=[walk.pk]))
    expect(page.locator("table.findings tbody tr")).to_have_count(3)
    assert_accessible(page)
    page.goto(live_server.url + reverse("diagnostic-report", args=[walk.pk]))
    assert_accessible(page)
    page.context.close()
    assert not problems, problems


def test_two_participants_record_on_the_same_diagnostic_at_once(chromium, live_server, walk):
    from playwright.sync_api import expect

    item_id = GridItem.objects.filter(theme__version=walk.grid_version).order_by("pk").first().pk
    pages = [phone_page(chromium, live_server, username) for username in ("commune", "landlord")]
    for n, (page, _problems) in enumerate(pages, 1):
        page.goto(live_server.url + reverse("diagnostic-record", args=[walk.pk]))
        page.fill("#finding-lat", "48,99")
        page.fill("#finding-lon", "1.71")
        page.select_option("#finding-item", str(item_id))
        page.locator("input[name=rating][value='1']").check()
        page.fill("#finding-comment", f"Vu par {n}")
        page.click("#save-finding")
    for page, problems in pages:
        expect(page.locator("#sent-count")).to_have_text("1")
        page.context.close()
        assert not problems, problems
    assert sorted(Finding.objects.values_list("recorded_by__username", flat=True)) == ["commune", "landlord"]


WALKED = [(48.9860, 1.7060), (48.9865, 1.7065), (48.9870, 1.7070), (48.9875, 1.7075)]


def test_the_route_recorded_from_the_gps_offline_arrives_once_when_the_network_is_back(
    chromium, live_server, walk
):
    from playwright.sync_api import expect

    start = {"latitude": WALKED[0][0], "longitude": WALKED[0][1], "accuracy": 5}
    page, problems = phone_page(chromium, live_server, "commune", geolocation=start)
    page.goto(live_server.url + reverse("diagnostic-record", args=[walk.pk]))
    expect(page.locator("body")).to_have_attribute("data-offline-ready", "1")
    summary = page.locator("#route-summary")
    expect(summary).to_contain_text("Aucun parcours")

    page.click("#route-start")
    expect(page.locator("#route-stop")).to_be_visible()
    expect(page.locator("#route-start")).to_be_hidden()
    expect(summary).to_have_attribute("data-points", "1")
    page.context.set_geolocation({"latitude": WALKED[1][0], "longitude": WALKED[1][1], "accuracy": 5})
    expect(summary).to_have_attribute("data-points", "2")
    assert_accessible(page)
    page.reload()  # the page closed while recording: it goes on with the same route
    expect(page.locator("#route-stop")).to_be_visible()
    expect(summary).to_have_attribute("data-points", "2")

    page.context.set_offline(True)  # the walk goes on without network
    for n, (lat, lon) in enumerate(WALKED[2:], 3):
        page.context.set_geolocation({"latitude": lat, "longitude": lon, "accuracy": 5})
        expect(summary).to_have_attribute("data-points", str(n))
    expect(summary).to_contain_text("Enregistrement du parcours : 4 point(s)")
    page.click("#route-stop")
    expect(page.locator("#pending-routes")).to_have_text("1")
    expect(summary).to_have_attribute("data-state", "waiting")
    expect(summary).to_contain_text("De 48.98600, 1.70600 à 48.98750, 1.70750")
    assert not RouteTrack.objects.exists()

    page.reload()  # without network: the route still waits on the phone
    expect(page.locator("#pending-routes")).to_have_text("1")
    expect(page.locator("#pending-list li")).to_contain_text(["Parcours : 4 point(s)"])
    screenshot(page, "diagnostics-record-route-offline-390")

    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("#pending-routes")).to_have_text("0")
    expect(summary).to_have_attribute("data-state", "sent")
    page.click("#send-now")  # nothing left: nothing sent again
    expect(page.locator("#pending-routes")).to_have_text("0")
    track = RouteTrack.objects.get()
    assert track.recorded_by.username == "commune" and track.points_count == 4
    assert track.line["coordinates"] == [[lon, lat] for lat, lon in WALKED]
    walk.refresh_from_db()
    assert walk.route == track.line and 150 < walk.route_length_m < 300
    assert_accessible(page)
    page.goto(live_server.url + reverse("diagnostic-record", args=[walk.pk]))  # the kept route is shown
    expect(summary).to_have_attribute("data-state", "kept")
    expect(summary).to_contain_text("Parcours du diagnostic : 4 point(s)")
    page.context.close()
    assert not problems, problems


def test_a_finding_beside_an_open_request_is_filed_anyway_from_the_analysis_page(
    chromium, live_server, walk, procedure
):
    from playwright.sync_api import expect

    from diagnostics.actions import do_convert_findings_to_requests, do_record_finding
    from procedures.models import InterventionRequest

    item = GridItem.objects.filter(theme__version=walk.grid_version, code="encombrants").get()
    first, second = (
        do_record_finding(
            walk,
            acting_user=walk.created_by,
            client_id=f"browser-anyway-{n}",
            item=item,
            rating=1,
            lon=1.71,
            lat=48.99 + 0.0001 * n,
            comment=f"Dépôt {n}",
        )[0]
        for n in (1, 2)
    )
    do_move_diagnostic(walk, "start_analysis", acting_user=walk.created_by)
    do_convert_findings_to_requests(walk, [first], acting_user=walk.created_by)
    page, problems = phone_page(chromium, live_server, "commune")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + reverse("diagnostic-analysis", args=[walk.pk]))
    anyway = page.get_by_label("Déposer malgré tout une nouvelle demande pour le constat 2")
    expect(anyway).to_be_visible()
    assert_accessible(page)
    page.locator(f"#choose-{second.pk}").check()
    anyway.check()
    page.fill("#file-anyway-reason", "Un second dépôt, de l'autre côté du hall")
    page.click(".convert-form button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("1 demande(s) déposée(s)")
    second.refresh_from_db()
    assert second.outcome == "request" and second.request_id != first.request_id
    assert second.outcome_reason == "Un second dépôt, de l'autre côté du hall"
    assert InterventionRequest.objects.count() == 2
    expect(page.locator("#finding-2")).to_contain_text("Un second dépôt")
    assert_accessible(page)
    page.context.close()
    assert not problems, problems
