from celery import shared_task

from engine.worker import run_jobs_once


@shared_task(name="engine.tasks.run_worker_jobs")
def run_worker_jobs():
    return run_jobs_once()
