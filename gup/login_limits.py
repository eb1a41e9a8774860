"""Brute-force protection of the web login, the admin login and the API token endpoint.

Failed attempts are counted per account (LOGIN_MAX_FAILURES, default 5) and per client address
(LOGIN_MAX_FAILURES_PER_ADDRESS, default 20) in windows of LOGIN_FAILURE_WINDOW_SECONDS (900) that
start at the first failure. Past either limit every attempt is refused, a correct password included,
until the window ends, with a message that says when to try again.

Counters live in Django's default cache (CACHE_URL: Redis shares them across processes) and are
changed with atomic ``add``/``incr`` only. Each attempt takes its place in the counters *before*
the password is checked, and gives it back when the password was right: concurrent attempts cannot
all slip under the limit. A successful login clears its account's counter.
"""

import contextlib
import hashlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.utils import formats
from django.utils import timezone as dj_timezone
from django.utils.translation import ngettext

PREFIX = "login-failures"


def _setting(name, default):
    return int(getattr(settings, name, default))


def client_address(request):
    """The client's address: REMOTE_ADDR, or the header named by LOGIN_CLIENT_ADDRESS_HEADER (set by a
    reverse proxy you trust, e.g. HTTP_X_REAL_IP)."""
    meta = getattr(request, "META", None) or {}
    header = getattr(settings, "LOGIN_CLIENT_ADDRESS_HEADER", "") or ""
    value = meta.get(header, "") if header else ""
    value = value.split(",")[0].strip() if value else ""
    return value or meta.get("REMOTE_ADDR", "") or "unknown"


def _key(kind, value):
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:40]
    return f"{PREFIX}:{kind}:{digest}"


class LockedOut(Exception):
    def __init__(self, retry_at):
        self.retry_at = retry_at
        self.retry_after = max(1, int(retry_at - time.time()) + 1)
        super().__init__(locked_message(retry_at))


def locked_message(retry_at):
    moment = dj_timezone.localtime(datetime.fromtimestamp(retry_at, tz=UTC))
    minutes = max(1, -(-int(retry_at - time.time()) // 60))
    return ngettext(
        "Too many failed login attempts. Try again in %(minutes)d minute (at %(time)s).",
        "Too many failed login attempts. Try again in %(minutes)d minutes (at %(time)s).",
        minutes,
    ) % {"minutes": minutes, "time": formats.time_format(moment, "H:i")}


@dataclass
class _Counter:
    key: str
    limit: int


def _take(counter, window):
    """Add one to the counter (atomic); returns (count, the end of its window as a timestamp)."""
    ends_key = counter.key + ":ends"
    for _attempt in range(3):
        now = time.time()
        cache.add(ends_key, now + window, timeout=window)
        cache.add(counter.key, 0, timeout=window)
        try:
            count = cache.incr(counter.key)
        except ValueError:  # expired between add and incr: start a new window
            continue
        return count, cache.get(ends_key) or now + window
    return 1, time.time() + window


def _give_back(key):
    with contextlib.suppress(ValueError):  # expired meanwhile
        cache.decr(key)


class Attempt:
    """One login attempt: ``begin()`` takes its place (LockedOut past a limit), then ``failed()``
    or ``succeeded()`` once the password was checked."""

    def __init__(self, request, username):
        window = _setting("LOGIN_FAILURE_WINDOW_SECONDS", 900)
        self.window = window
        self.counters = [
            _Counter(_key("account", (username or "").strip().lower()), _setting("LOGIN_MAX_FAILURES", 5)),
            _Counter(
                _key("address", client_address(request)), _setting("LOGIN_MAX_FAILURES_PER_ADDRESS", 20)
            ),
        ]
        self.counters = [counter for counter in self.counters if counter.limit > 0]

    def begin(self):
        taken, refused_until = [], None
        for counter in self.counters:
            count, ends = _take(counter, self.window)
            taken.append(counter)
            if count > counter.limit:
                refused_until = max(refused_until or 0, ends)
        if refused_until is not None:
            for counter in taken:
                _give_back(counter.key)  # a refused attempt does not count: the window still ends
            raise LockedOut(refused_until)
        return self

    def failed(self):
        """The place taken stays: it is a failure."""

    def succeeded(self):
        for counter in self.counters:
            _give_back(counter.key)
        if self.counters and self.counters[0].key.startswith(f"{PREFIX}:account:"):
            cache.delete(self.counters[0].key)


def begin(request, username):
    return Attempt(request, username).begin()


class _LimitedMixin:
    """Authentication forms whose clean() goes through an Attempt."""

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is None or not password:
            return super().clean()
        try:
            attempt = begin(self.request, username)
        except LockedOut as exc:
            raise forms.ValidationError(str(exc), code="locked_out") from None
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            attempt.failed()
            raise
        attempt.succeeded()
        return cleaned


class LimitedAuthenticationForm(_LimitedMixin, AuthenticationForm):
    pass


class LimitedAdminAuthenticationForm(_LimitedMixin, AdminAuthenticationForm):
    pass
