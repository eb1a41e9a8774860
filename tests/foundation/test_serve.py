"""The embedded run path of `make run`, end to end: migrate, load_demo, serve (web + worker), log in, stop.

Every test that starts `serve` starts it in its own session (process group) and, whatever happens, kills
that whole group at the end (`running_serve`): no worker outlives the test run.
"""

import contextlib
import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from engine.management.commands import serve as serve_command

BASE = Path(__file__).resolve().parents[2]
WORKER_LINE = re.compile(r"worker running .*\(pid (\d+)\)")


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _manage(env, *args, **kwargs):
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE, env=env, capture_output=True, text=True, **kwargs
    )


@pytest.fixture(scope="module")
def embedded_env(tmp_path_factory):
    """A migrated embedded-mode database with the demo loaded, shared by this module's tests."""
    var_dir = tmp_path_factory.mktemp("embedded")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "DJANGO_ENV", "DJANGO_ALLOW_ASYNC_UNSAFE", "SITE_BASE_URL")
    }
    env.update(GUP_VAR_DIR=str(var_dir), WORKER_INTERVAL_SECONDS="1", PYTHONUNBUFFERED="1")
    migrated = _manage(env, "migrate", "--noinput", timeout=300)
    assert migrated.returncode == 0, migrated.stderr
    demo = _manage(env, "load_demo", "--if-absent", timeout=300)
    assert demo.returncode == 0, demo.stderr
    assert "demo-ctc" in demo.stdout
    assert (var_dir / "gup.sqlite3").exists()
    return env


class Serve:
    def __init__(self, process, port):
        self.process, self.port, self.output = process, port, []
        self.worker_pid = None

    def wait_until_up(self):
        """Read the output until the server's banner and the worker's pid are both seen (no sleeping)."""
        up = False
        for line in self.process.stdout:
            self.output.append(line)
            match = WORKER_LINE.search(line)
            if match:
                self.worker_pid = int(match.group(1))
            up = up or "Quit the server with" in line
            if up and self.worker_pid:
                return self
        raise AssertionError("serve stopped before it was up:\n" + "".join(self.output))


@contextlib.contextmanager
def running_serve(env):
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "serve", f"127.0.0.1:{port}"],
        cwd=BASE,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    serve = Serve(process, port)
    try:
        yield serve.wait_until_up()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        process.stdout.close()
        if serve.worker_pid:  # it is in the same group, so it was killed too; reap-or-gone check
            _wait_until_gone(serve.worker_pid)


def _is_running(pid):
    """True while pid is a live process (a zombie waiting to be reaped counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: fall back to signal 0
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")


def _wait_until_gone(pid, timeout=20):
    deadline = time.monotonic() + timeout
    while _is_running(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)  # waiting for a real process, not simulating time
    return True


def test_the_embedded_product_serves_the_home_page_to_demo_ctc_with_its_worker(embedded_env):
    with running_serve(embedded_env) as serve:
        assert _is_running(serve.worker_pid)
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        base = f"http://127.0.0.1:{serve.port}"
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


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_stopping_serve_with_a_signal_stops_its_worker_too(embedded_env, signum):
    with running_serve(embedded_env) as serve:
        serve.process.send_signal(signum)
        assert serve.process.wait(timeout=30) == 0
        assert _wait_until_gone(serve.worker_pid), f"worker {serve.worker_pid} still running"
        rest = serve.process.stdout.read()
        assert "worker stopped" in rest


def test_a_worker_whose_serve_was_killed_outright_exits_by_itself(embedded_env):
    with running_serve(embedded_env) as serve:
        serve.process.kill()  # SIGKILL: serve cannot clean up; the worker must notice on its own
        serve.process.wait(timeout=30)
        assert _wait_until_gone(serve.worker_pid), f"worker {serve.worker_pid} outlived its serve"


def test_serve_stops_when_its_worker_dies(embedded_env):
    with running_serve(embedded_env) as serve:
        os.kill(serve.worker_pid, signal.SIGKILL)
        assert serve.process.wait(timeout=30) == 0
        assert "worker exited" in serve.process.stdout.read()


def test_a_serve_that_cannot_bind_its_port_leaves_no_worker_behind(embedded_env):
    """runserver ends its process at once (os._exit) when the port is taken: the worker exits by itself."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = subprocess.Popen(
            [sys.executable, "manage.py", "serve", f"127.0.0.1:{port}"],
            cwd=BASE,
            env=embedded_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        try:
            # The pipe reaches its end only when every process writing to it (serve and worker) is gone.
            output, _ = process.communicate(timeout=60)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
    assert process.returncode != 0
    assert "already in use" in output or "Error" in output
    pids = [int(match.group(1)) for match in WORKER_LINE.finditer(output)]
    assert all(_wait_until_gone(pid) for pid in pids)


def _open(opener, url, data=None, attempts=50):
    """Open url, retrying while the server binds its socket just after printing its banner."""
    for attempt in range(attempts):
        try:
            return opener.open(url, data=data, timeout=10)
        except urllib.error.URLError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.1)  # waiting for a real process, not simulating time


# --- SITE_BASE_URL follows the served address unless it is set ------------------------------------


@pytest.mark.parametrize(
    ("addrport", "expected"),
    [
        ("127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("8042", "http://127.0.0.1:8042"),
        ("localhost:9000", "http://localhost:9000"),
        ("0.0.0.0:8001", "http://127.0.0.1:8001"),
        ("[::1]:8002", "http://[::1]:8002"),
        ("[::]:8003", "http://[::1]:8003"),
    ],
)
def test_the_base_url_is_the_served_address(addrport, expected):
    assert serve_command.base_url_for(addrport) == expected


def test_a_served_address_without_a_port_is_refused_with_a_message():
    with pytest.raises(CommandError, match="is not an address and port"):
        serve_command.base_url_for("localhost")


@pytest.fixture
def fake_serve(monkeypatch):
    """serve without its processes: records the worker's command and environment and the runserver call."""
    seen = {}

    class FakeWorker:
        returncode = 0

        def __init__(self, args, **kwargs):
            seen["worker_args"] = args
            seen["worker_site"] = os.environ.get("SITE_BASE_URL")
            self.stopped = threading.Event()

        def wait(self, timeout=None):  # the "worker" runs until serve stops it
            self.stopped.wait()
            return 0

        def poll(self):
            self.stopped.set()
            return 0

    def fake_call_command(name, addrport, **kwargs):
        from django.conf import settings

        seen["runserver"] = (name, addrport)
        seen["server_site"] = settings.SITE_BASE_URL

    monkeypatch.setattr(serve_command.subprocess, "Popen", FakeWorker)
    monkeypatch.setattr(serve_command, "call_command", fake_call_command)
    monkeypatch.setattr(serve_command.signal, "signal", lambda *a: None)  # keep pytest's own handlers
    return seen


def test_serve_derives_site_base_url_from_its_address_for_both_processes(fake_serve, monkeypatch, settings):
    monkeypatch.delenv("SITE_BASE_URL", raising=False)
    monkeypatch.setattr(os, "environ", os.environ.copy())  # serve writes the variable for its worker
    call_command("serve", "127.0.0.1:8042")
    assert fake_serve["runserver"] == ("runserver", "127.0.0.1:8042")
    assert fake_serve["server_site"] == "http://127.0.0.1:8042"
    assert fake_serve["worker_site"] == "http://127.0.0.1:8042"
    assert fake_serve["worker_args"][-3:] == ["run_worker", "--parent-pid", str(os.getpid())]


def test_an_explicit_site_base_url_wins_over_the_served_address(fake_serve, monkeypatch, settings):
    monkeypatch.setattr(os, "environ", os.environ.copy())
    monkeypatch.setenv("SITE_BASE_URL", "https://gup.example.org")
    settings.SITE_BASE_URL = "https://gup.example.org"
    call_command("serve", "127.0.0.1:8042")
    assert fake_serve["server_site"] == "https://gup.example.org"
    assert fake_serve["worker_site"] == "https://gup.example.org"
