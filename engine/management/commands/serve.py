"""Embedded mode (`make run`): the web server and its background worker, started and stopped together.

- Ctrl-C (SIGINT), SIGTERM or SIGHUP on `serve` stops the server and then the worker (terminated, killed
  after 10 s); if the worker exits on its own, the server stops too: stopping one stops both.
- The worker runs with `--parent-pid` (this process): if `serve` is killed outright (SIGKILL), or ends
  itself at once (runserver's os._exit when the port is taken), the worker notices it has been
  re-parented and exits within a second, even if that happened before it started.
- Links in e-mails: unless SITE_BASE_URL is set, it is derived from the served address (`make run
  ADDR=127.0.0.1:8042` writes links to http://127.0.0.1:8042), for the server and for the worker.
"""

import os
import signal
import subprocess
import sys
import threading

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

DEFAULT_ADDRPORT = "127.0.0.1:8000"


def base_url_for(addrport):
    """The http base URL a browser on this machine uses to reach `runserver addrport`.

    Accepts the forms runserver accepts: "8001", "host:8001", "[::1]:8001". A wildcard address
    (0.0.0.0, ::) is reached through 127.0.0.1 / [::1].
    """
    addrport = (addrport or DEFAULT_ADDRPORT).strip()
    if addrport.isdigit():
        host, port = "127.0.0.1", addrport
    else:
        host, sep, port = addrport.rpartition(":")
        if not sep or not port.isdigit() or not host:
            raise CommandError(f"{addrport!r} is not an address and port (for example 127.0.0.1:8000)")
    bare = host.strip("[]")
    if bare in ("0.0.0.0", "0"):
        host = "127.0.0.1"
    elif bare == "::":
        host = "[::1]"
    elif ":" in bare:
        host = f"[{bare}]"
    return f"http://{host}:{port}"


class Command(BaseCommand):
    help = "Embedded mode: serve the web UI with the background worker running beside it."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default=DEFAULT_ADDRPORT)

    def handle(self, *args, addrport, **options):
        if not os.environ.get("SITE_BASE_URL"):
            # Explicit SITE_BASE_URL wins; otherwise links point at the address actually served.
            settings.SITE_BASE_URL = os.environ["SITE_BASE_URL"] = base_url_for(addrport)
        worker = subprocess.Popen(
            [
                sys.executable,
                str(settings.BASE_DIR / "manage.py"),
                "run_worker",
                "--parent-pid",
                str(os.getpid()),
            ]
        )
        stopping = threading.Event()
        main_thread = threading.main_thread()

        def interrupt(*_):
            # SIGINT, SIGTERM and SIGHUP all end the server the way Ctrl-C does, once, so that the
            # `finally` below runs (Python's default SIGTERM would kill this process and orphan the worker).
            if stopping.is_set():
                return
            stopping.set()
            raise KeyboardInterrupt

        for name in ("SIGINT", "SIGTERM", "SIGHUP"):
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), interrupt)

        def watch_worker():
            worker.wait()
            if not stopping.is_set() and main_thread.is_alive():
                self.stderr.write(f"worker exited (status {worker.returncode}): stopping the server")
                os.kill(os.getpid(), signal.SIGINT)

        threading.Thread(target=watch_worker, name="serve-worker-watch", daemon=True).start()
        try:
            call_command("runserver", addrport, use_reloader=False)
        finally:
            stopping.set()
            stop_worker(worker)


def stop_worker(worker, timeout=10):
    if worker.poll() is not None:
        return
    worker.terminate()
    try:
        worker.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
