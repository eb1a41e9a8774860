"""The WSGI application warms the routing index up and leaves no database connection open: gunicorn's
--preload loads it in the master, whose open connection every forked worker would otherwise share (their
queries then read each other's rows: a 500 under concurrent POSTs, seen with bench/bench_api.py)."""

import os
import subprocess
import sys
from pathlib import Path

BASE = Path(__file__).resolve().parents[2]

PROBE = """
import gup.wsgi
from django.db import connections
from directory import routing
print("open" if any(c.connection is not None for c in connections.all()) else "closed")
print("index" if routing._current.get("index") is not None else "no index")
"""


def test_loading_the_wsgi_application_builds_the_index_and_closes_its_connections(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "ROUTING_"))
    }
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'gup.sqlite3'}", ROUTING_INDEX_WARM_UP="true")
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"], cwd=BASE, env=env, capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip
    assert migrate.returncode == 0, migrate.stderr
    probe = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=BASE, env=env, capture_output=True, text=True, timeout=120
    )
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.split() == ["closed", "index"], probe.stdout + probe.stderr
