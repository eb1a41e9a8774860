"""Production background work: the Celery beat task runs the same jobs as `run_worker`, over Redis."""

import socket

import pytest

from engine.tasks import run_worker_jobs
from gup.celery import app

CALLS = []


def counting_job():
    CALLS.append(1)
    return 2


def test_the_beat_schedule_runs_the_worker_jobs_task():
    schedule = app.conf.beat_schedule
    assert any(entry["task"] == run_worker_jobs.name for entry in schedule.values())
    assert run_worker_jobs.name in app.tasks


def test_the_celery_task_runs_every_configured_job(settings):
    CALLS.clear()
    settings.WORKER_JOBS = ["tests.foundation.test_celery.counting_job"]
    result = run_worker_jobs.apply()
    assert result.successful()
    assert result.get() == {"tests.foundation.test_celery.counting_job": 2}
    assert CALLS == [1]


def _redis_up():
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_up(), reason="Redis is not running on 127.0.0.1:6379")
def test_a_task_sent_to_the_redis_broker_reaches_its_queue(settings):
    queue = "gup-test-broker-roundtrip"
    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1)
        simple = connection.SimpleQueue(queue)
        simple.clear()
        run_worker_jobs.apply_async(queue=queue, connection=connection)
        message = simple.get(timeout=5)
        assert message.headers["task"] == "engine.tasks.run_worker_jobs"
        message.ack()
        simple.close()
