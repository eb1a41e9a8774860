"""Schemathesis over the OpenAPI schema: generated calls to every operation never get a server error.

Bounded: SCHEMATHESIS_EXAMPLES generated cases per operation (default 6), run in the test transaction
against the WSGI application, authenticated as a commune user, with a filed request in the database.
(Schemathesis' own pytest plugin does not run on pytest 9 yet, so the operations are walked here with
its strategies and Hypothesis.)
"""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings

from api.models import ApiToken

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "6"))


@pytest.fixture
def commune_token(world, potholes):
    from procedures.actions import do_file_request
    from tests.factories import POINT_IN_COMMUNE_1

    do_file_request(
        acting_user=world.commune_user,
        category="potholes",
        description="Trou",
        lon=POINT_IN_COMMUNE_1[0],
        lat=POINT_IN_COMMUNE_1[1],
    )
    return ApiToken.objects.create_for(world.commune_user, "schemathesis")[1]


@pytest.fixture
def keep_the_test_connection():
    """As Django's test client does: the WSGI handler must not close the test's database connection."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_no_generated_call_to_any_operation_gets_a_server_error(
    commune_token, settings, keep_the_test_connection
):
    from gup.wsgi import application

    settings.API_WRITE_THROTTLE_RATE = ""
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)
    headers = {"Authorization": f"Token {commune_token}"}
    failures, calls, operations = [], [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def run(case):
            if "Authorization" in (case.headers or {}):
                case.headers.pop("Authorization")
            response = case.call(headers=headers)
            calls.append(response.status_code)
            if response.status_code >= 500:
                failures.append(
                    (case.method, case.formatted_path, case.query, case.body, response.text[:300])
                )

        run()
    assert operations >= 40
    assert len(calls) >= operations
    print("schemathesis:", operations, "operations,", len(calls), "calls, statuses", sorted(set(calls)))
    assert not failures, failures[0]
