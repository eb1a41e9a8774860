"""Security headers on every response (Django 5.2 has no Content-Security-Policy of its own).

- ``Content-Security-Policy``: scripts, styles, fonts and connections from this site only (no inline
  script or style, no eval), images from this site, ``data:`` URLs and the tile server of
  ``MAP_TILE_URL`` if one is set, no plugin, no ``<base>`` elsewhere, no framing, forms posted here
  only. A response that already carries a policy (downloads of attached files: stricter) keeps it.
- ``Cache-Control: no-store, private`` on every response to a logged-in user (web pages, and API
  calls authenticated by session or token: DRF sets the user on the request), so that no shared or
  browser cache keeps personal data.
"""

from functools import lru_cache
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.cache import patch_cache_control
from django.utils.functional import SimpleLazyObject, empty

CSP_HEADER = "Content-Security-Policy"


def tile_source(url):
    """The CSP source of a tile URL template (``https://{s}.tile.example.org/{z}/{x}/{y}.png`` gives
    ``https://*.tile.example.org``); None when there is no usable one."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    host = parts.netloc.rsplit("@", 1)[-1]
    labels = host.split(".")
    if "{" in labels[0]:
        labels[0] = "*"
    if any("{" in label or "}" in label for label in labels):
        return f"{parts.scheme}:"
    return f"{parts.scheme}://{'.'.join(labels)}"


def sso_origin():
    """The single sign-on provider's origin when it is on: signing out there follows the sign-out form
    (a redirect after a form, which ``form-action`` governs)."""
    if not getattr(settings, "OIDC_ENABLED", False):
        return ""
    parts = urlsplit(getattr(settings, "OIDC_ISSUER", "") or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else ""


@lru_cache(maxsize=8)
def _policy(tile_url, form_origin=""):
    images = ["'self'", "data:", "blob:"]  # blob: the phone's previews of photos not sent yet
    source = tile_source(tile_url)
    if source:
        images.append(source)
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": images,
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'", form_origin] if form_origin else ["'self'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def content_security_policy():
    """The site's policy, with the tile server configured now."""
    return _policy(getattr(settings, "MAP_TILE_URL", "") or "", sso_origin())


def _known_user(request):
    """The user the request was answered for, without looking one up (no session read) when the
    view never asked who it was (nothing personal was shown then)."""
    user = request.__dict__.get("user")
    if isinstance(user, SimpleLazyObject) and user._wrapped is empty:
        return None
    return user


class SecurityHeadersMiddleware:
    """Put first in MIDDLEWARE: it sees every response, static files included."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if CSP_HEADER not in response:
            response[CSP_HEADER] = content_security_policy()
        user = _known_user(request)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, no_store=True, private=True)
        return response
