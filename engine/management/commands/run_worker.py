import contextlib
import os
import signal

from django.conf import settings
from django.core.management.base import BaseCommand

from engine.worker import configured_jobs, parent_is_gone, run_forever, run_jobs_once


class Command(BaseCommand):
    help = "Run the background jobs (deadline sweeper, outbox delivery) in a loop, or once with --once."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run every job once and exit.")
        parser.add_argument("--interval", type=float, default=settings.WORKER_INTERVAL_SECONDS)
        parser.add_argument(
            "--parent-pid",
            type=int,
            default=None,
            help="Stop as soon as this process (the one that started the worker) has exited; `serve` "
            "passes its own pid, so a worker never outlives its server, even one killed outright.",
        )

    def handle(self, *args, once=False, interval=5, parent_pid=None, **options):
        names = [path for path, _job in configured_jobs()]
        if once:
            for path, count in run_jobs_once().items():
                self.stdout.write(f"{path}: {'failed' if count is None else count}")
            return
        stopping = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        orphaned = parent_is_gone(parent_pid) if parent_pid else (lambda: False)
        self.stdout.write(
            f"worker running {len(names)} job(s) every {interval:g}s: {', '.join(names) or 'none'}"
            f" (pid {os.getpid()})"
        )
        with contextlib.suppress(KeyboardInterrupt):
            run_forever(interval, stop=lambda: bool(stopping) or orphaned())
        self.stdout.write("worker stopped")
