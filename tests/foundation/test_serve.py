"""The embedded run path of `make run`, end to end: migrate, load_demo, serve (web + worker), log in."""

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

BASE = Path(__file__).resolve().parents[2]


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _manage(env, *args, **kwargs):
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE, env=env, capture_output=True, text=True, **kwargs
    )


@pytest.fixture
def embedded_env(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "DJANGO_ENV", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    env.update(GUP_VAR_DIR=str(tmp_path), WORKER_INTERVAL_SECONDS="1", PYTHONUNBUFFERED="1")
    return env


def test_the_embedded_product_serves_the_home_page_to_demo_ctc_with_its_worker(embedded_env, tmp_path):
    assert _manage(embedded_env, "migrate", "--noinput", timeout=300).returncode == 0
    demo = _manage(embedded_env, "load_demo", "--if-absent", timeout=300)
    assert demo.returncode == 0, demo.stderr
    assert "demo-ctc" in demo.stdout
    assert (tmp_path / "gup.sqlite3").exists()

    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "serve", f"127.0.0.1:{port}"],
        cwd=BASE,
        env=embedded_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = []
    try:
        for line in server.stdout:  # blocks until the server says it is up; no sleeping
            output.append(line)
            if "Quit the server with" in line:
                break
        assert any("worker running" in line for line in output) or _wait_for(server, output, "worker running")
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        base = f"http://127.0.0.1:{port}"
        login_page = _open(opener, f"{base}/accounts/login/").read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)
        form = urllib.parse.urlencode(
            {"username": "demo-ctc", "password": "demo", "csrfmiddlewaretoken": token}
        )
        response = _open(opener, f"{base}/accounts/login/", data=form.encode())
        assert response.status == 200 and response.url.rstrip("/") == base
        home = _open(opener, f"{base}/")
        assert home.status == 200
        assert "CTC du Mantois" in home.read().decode()
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait_for(process, output, text):
    for line in process.stdout:
        output.append(line)
        if text in line:
            return True
    return False


def _open(opener, url, data=None, attempts=50):
    """Open url, retrying while the server binds its socket just after printing its banner."""
    for attempt in range(attempts):
        try:
            return opener.open(url, data=data, timeout=10)
        except urllib.error.URLError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.1)  # waiting for a real process, not simulating time
