from celery import shared_task

from engine.worker import configured_fast_jobs, run_jobs_once


@shared_task(name="engine.tasks.run_worker_jobs")
def run_worker_jobs():
    return run_jobs_once()


@shared_task(name="engine.tasks.run_fast_jobs")
def run_fast_jobs():
    """The outbox delivery (WORKER_FAST_JOBS), run every second by Celery beat."""
    return run_jobs_once(configured_fast_jobs())
