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
