import contextlib
import signal

from django.conf import settings
from django.core.management.base import BaseCommand

from engine.worker import configured_jobs, run_forever, run_jobs_once


class Command(BaseCommand):
    help = "Run the background jobs (deadline sweeper, outbox delivery) in a loop, or once with --once."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run every job once and exit.")
        parser.add_argument("--interval", type=float, default=settings.WORKER_INTERVAL_SECONDS)

    def handle(self, *args, once=False, interval=5, **options):
        names = [path for path, _job in configured_jobs()]
        if once:
            for path, count in run_jobs_once().items():
                self.stdout.write(f"{path}: {'failed' if count is None else count}")
            return
        stopping = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        self.stdout.write(
            f"worker running {len(names)} job(s) every {interval:g}s: {', '.join(names) or 'none'}"
        )
        with contextlib.suppress(KeyboardInterrupt):
            run_forever(interval, stop=lambda: bool(stopping))
        self.stdout.write("worker stopped")
