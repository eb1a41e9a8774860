"""Shared fixtures: the test territory with a named user per role, time control, query counting.

Time: use the `time_machine` fixture (from time-machine) and move it with `time_machine.move_to(...)`;
never sleep. Queries: `assert_queries(n)` (exact) and pytest-django's `django_assert_max_num_queries`.
"""

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from tests.factories import build_world


@pytest.fixture(autouse=True)
def _routing_index_rebuilt_inline(settings):
    """A test reads the data it just wrote: no background rebuild of the routing index (its own tests
    switch it back on)."""
    settings.ROUTING_INDEX_REBUILD = "inline"


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def assert_queries():
    """Context manager asserting the exact number of queries, listing them when it differs."""

    class _Counter:
        def __init__(self, expected):
            self.expected = expected
            self.context = CaptureQueriesContext(connection)

        def __enter__(self):
            self.context.__enter__()
            return self.context

        def __exit__(self, *exc):
            self.context.__exit__(*exc)
            if exc[0] is None:
                executed = len(self.context.captured_queries)
                if executed != self.expected:
                    listing = "\n".join(q["sql"] for q in self.context.captured_queries)
                    pytest.fail(f"expected {self.expected} queries, got {executed}:\n{listing}")

    return _Counter


@pytest.fixture
def on_postgres():
    return connection.vendor == "postgresql"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The cache holds counters (API write throttle, login failures: gup/login_limits.py); each test
    starts with none, so failed logins in one test never lock an account or an address in another."""
    from django.core.cache import cache

    from procedures import catalogue_cache, routing_cache

    cache.clear()
    routing_cache.clear()
    catalogue_cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in the product's default language (French): a request served by an earlier test
    leaves its language active in the thread, which would make message assertions depend on test order."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()
