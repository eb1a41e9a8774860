import logging

from directory.access import principal_keys
from engine.worker import run_jobs_once

CALLS = []


def job_that_counts():
    CALLS.append("count")
    return 3


def job_that_fails():
    raise RuntimeError("boom")


def test_the_worker_runs_every_job_and_survives_a_failing_one(settings, caplog):
    CALLS.clear()
    settings.WORKER_JOBS = [
        "tests.foundation.test_worker_and_access.job_that_fails",
        "tests.foundation.test_worker_and_access.job_that_counts",
    ]
    with caplog.at_level(logging.ERROR):
        result = run_jobs_once()
    assert result == {
        "tests.foundation.test_worker_and_access.job_that_fails": None,
        "tests.foundation.test_worker_and_access.job_that_counts": 3,
    }
    assert CALLS == ["count"]
    assert "job_that_fails failed" in caplog.text


def test_principal_keys_name_the_person_organisation_units_and_roles(world):
    lead = world.ctc_lead
    keys = principal_keys(lead)
    expected = {
        f"user:{lead.pk}",
        f"org:{world.cu.pk}",
        f"unit:{world.ctc.pk}",
        f"unit:{world.ctc.pk}#supervisor",
        "role:supervisor",
        "role:agent",
    }
    assert expected <= keys
    assert f"unit:{world.ctc_2.pk}" not in keys
    shared = principal_keys(world.commune_user) & principal_keys(world.commune_2_user)
    assert shared == {"role:referent", "role:requester"}


def test_principal_keys_include_parent_units(world):
    from tests.factories import make_unit, make_user

    team = make_unit(world.cu, parent=world.ctc, code="ctc-1-team")
    member = make_user(world.cu, unit=team, roles=["agent"])
    assert {f"unit:{team.pk}", f"unit:{world.ctc.pk}", f"unit:{world.ctc.pk}#agent"} <= principal_keys(member)


def test_the_worker_notices_a_stop_while_it_waits_between_ticks(settings, db):
    """run_forever waits in steps of at most poll_seconds and checks stop() at each: a dead parent is
    noticed within a second, not after a whole interval."""
    from engine.worker import run_forever

    CALLS.clear()
    settings.WORKER_JOBS = ["tests.foundation.test_worker_and_access.job_that_counts"]
    slept = []
    run_forever(30, stop=lambda: len(slept) >= 3, sleep=slept.append, poll_seconds=1.0)
    assert CALLS == ["count"]  # one tick, then stopped during its 30 s wait
    assert slept == [1.0, 1.0, 1.0]


def test_parent_is_gone_turns_true_once_the_worker_is_re_parented(monkeypatch):
    import os

    from engine.worker import parent_is_gone

    monkeypatch.setattr(os, "getppid", lambda: 4242)
    stop = parent_is_gone(4242)
    assert stop() is False
    monkeypatch.setattr(os, "getppid", lambda: 1)  # the parent died: init (or a subreaper) adopted us
    assert stop() is True
