"""The login limits are shared across processes through Redis (CACHE_URL): two separate Python
processes count failures of one account against one limit, and the third is told in French how long
to wait. Uses Redis database 4 at 127.0.0.1:6379 (skipped when no Redis answers)."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/4"

SCRIPT = """
import json, sys, types
import django
django.setup()
from django.utils import translation
from gup import login_limits

username, address, tries = sys.argv[1], sys.argv[2], int(sys.argv[3])
request = types.SimpleNamespace(META={"REMOTE_ADDR": address})
results = []
with translation.override("fr"):
    for _ in range(tries):
        try:
            login_limits.begin(request, username).failed()
            results.append("counted")
        except login_limits.LockedOut as exc:
            results.append(str(exc))
print(json.dumps(results))
"""


def _redis():
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
        client.ping()
        return client
    except Exception:  # any failure means: no Redis here
        return None


def _run(username, address, tries):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gup.settings",
        "CACHE_URL": REDIS_URL,
        "LOGIN_MAX_FAILURES": "5",
        "LOGIN_MAX_FAILURES_PER_ADDRESS": "100",
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, username, address, str(tries)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_two_processes_share_one_account_limit_through_redis():
    client = _redis()
    if client is None:
        pytest.skip("no Redis at 127.0.0.1:6379")
    username = f"shared-{uuid.uuid4().hex[:8]}"
    try:
        assert _run(username, "192.0.2.1", 3) == ["counted"] * 3
        second = _run(username, "192.0.2.2", 3)  # another process, another address: same account
        assert second[:2] == ["counted", "counted"]
        assert second[2].startswith("Trop de tentatives de connexion échouées. Réessayez dans 15 minutes")
    finally:
        for key in client.scan_iter(match="*login-failures:*"):
            client.delete(key)
