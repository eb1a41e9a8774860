"""Security headers (gup/security.py) on every response, without a browser."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from gup.security import content_security_policy, tile_source
from tests.web.test_requests import file_request


def urls_without_parameters(patterns=None, prefix=""):
    """Every URL of the project that takes no parameter (admin, API, Open311 and web pages)."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = str(entry.pattern)
        if "<" in route or "(?P" in route or "\\" in route.replace("\\.", ""):
            continue
        route = route.lstrip("^").rstrip("$")
        if isinstance(entry, URLResolver):
            yield from urls_without_parameters(entry.url_patterns, prefix + route)
        elif isinstance(entry, URLPattern):
            yield "/" + prefix + route


@pytest.fixture
def setup(world, procedure, category, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return world


def test_every_page_carries_the_content_security_policy(client, setup):
    filed = file_request(client, setup.commune_user)
    urls = sorted(set(urls_without_parameters()))
    assert {"/", "/requests/", "/queue/", "/dvq/", "/admin/", "/api/v1/docs/", "/accounts/login/"} <= set(
        urls
    )
    urls += [reverse("request-detail", args=[filed.reference]), "/no-such-page/"]
    client.force_login(setup.admin_user)
    policy = content_security_policy()
    for url in urls:
        response = client.get(url)
        assert response.status_code < 500, url
        assert response["Content-Security-Policy"] == policy, url
    client.logout()
    assert client.get(reverse("login"))["Content-Security-Policy"] == policy


def test_the_policy_allows_no_inline_script_or_style_and_no_framing():
    directives = dict(part.split(" ", 1) for part in content_security_policy().split("; "))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert (directives["base-uri"], directives["form-action"]) == ("'self'", "'self'")
    assert directives["img-src"] == "'self' data: blob:"


def test_the_policy_lets_the_configured_tile_server_draw_images(settings):
    settings.MAP_TILE_URL = "https://{s}.tile.example.org/{z}/{x}/{y}.png"
    assert "img-src 'self' data: blob: https://*.tile.example.org;" in content_security_policy()
    assert tile_source("https://tiles.example.org:8443/{z}/{x}/{y}.png") == "https://tiles.example.org:8443"
    assert tile_source("https://a.{region}.example.org/{z}.png") == "https:"
    assert tile_source("") is None and tile_source("javascript:alert(1)") is None


def test_pages_of_a_logged_in_user_are_not_cached(client, setup):
    client.force_login(setup.ctc_agent)
    for url in (reverse("request-list"), reverse("queue"), reverse("home")):
        response = client.get(url)
        assert response.status_code == 200 and "no-store" in response["Cache-Control"], url


def test_no_template_has_an_inline_script_style_or_event_handler():
    """What the policy would block: <script> without src (JSON data islands are not run), style
    attributes or elements, on...= handlers, htmx's hx-on (evaluated as code)."""
    import re
    from pathlib import Path

    from django.conf import settings

    inline = re.compile(
        r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>|<style\b|\sstyle=|\son[a-z]+=|\bhx-on",
        re.I,
    )
    base = Path(settings.BASE_DIR)
    templates = [path for path in base.glob("*/templates/**/*.html") if ".venv" not in path.parts]
    assert len(templates) > 10
    found = [
        f"{path.relative_to(base)}: {match.group(0)}"
        for path in templates
        for match in inline.finditer(path.read_text())
    ]
    assert found == []
