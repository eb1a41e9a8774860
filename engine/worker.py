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


def run_jobs_once():
    """Run every job once; a failing job is logged and does not stop the others."""
    handled = {}
    for path, job in configured_jobs():
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


def run_forever(interval_seconds, *, stop=lambda: False, sleep=time.sleep, poll_seconds=1.0):
    """Run the jobs every interval_seconds until stop() is true; stop() is checked at least every
    poll_seconds while waiting, so a stop request (or a dead parent) is noticed within a second."""
    while not stop():
        close_old_connections()
        run_jobs_once()
        waited = 0.0
        while waited < interval_seconds and not stop():
            step = min(poll_seconds, interval_seconds - waited)
            sleep(step)
            waited += step
