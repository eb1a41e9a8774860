"""The background worker: runs the configured jobs (settings.WORKER_JOBS) on every tick.

The same jobs run from `manage.py run_worker` (embedded mode) and from the Celery beat task
`engine.tasks.run_worker_jobs` (production). Jobs must be safe to run concurrently in several
processes: they claim their rows with compare-and-set updates.
"""

import logging
import os
import time

from django.conf import settings
from django.db import close_old_connections
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


def configured_jobs():
    return [(path, import_string(path)) for path in settings.WORKER_JOBS]


def configured_fast_jobs():
    """The jobs also run between ticks, every WORKER_OUTBOX_POLL_MS (the outbox delivery): among
    WORKER_FAST_JOBS, those that WORKER_JOBS runs."""
    jobs = set(settings.WORKER_JOBS)
    return [(path, import_string(path)) for path in getattr(settings, "WORKER_FAST_JOBS", []) if path in jobs]


def run_jobs_once(jobs=None):
    """Run every job once; a failing job is logged and does not stop the others."""
    handled = {}
    for path, job in configured_jobs() if jobs is None else jobs:
        try:
            handled[path] = job()
        except Exception:
            logger.exception("worker job %s failed", path)
            handled[path] = None
    return handled


def parent_is_gone(parent_pid):
    """A stop condition: true once ``parent_pid`` is no longer this process's parent (it exited and we were
    re-parented), including when that happened before the worker started."""
    return lambda: os.getppid() != parent_pid


def run_forever(interval_seconds, *, stop=lambda: False, sleep=time.sleep, poll_seconds=None):
    """Run the jobs every interval_seconds until stop() is true. While waiting, the fast jobs (the outbox
    delivery) run every poll_seconds (WORKER_OUTBOX_POLL_MS, at most a second), so an event is
    delivered within about that time of its commit; stop() is checked as often, so a stop request (or
    a dead parent) is noticed within a second."""
    if poll_seconds is None:
        poll_seconds = min(getattr(settings, "WORKER_OUTBOX_POLL_MS", 500) / 1000, 1.0)
    fast = configured_fast_jobs()
    while not stop():
        close_old_connections()
        run_jobs_once()
        waited = 0.0
        while waited < interval_seconds and not stop():
            step = min(poll_seconds, interval_seconds - waited)
            sleep(step)
            waited += step
            if fast and waited < interval_seconds and not stop():
                run_jobs_once(fast)
