"""Schemathesis over the OpenAPI schema: generated calls to every operation never get a server error.

Bounded: SCHEMATHESIS_EXAMPLES generated cases per operation and mode (default 6), in both of schemathesis'
modes: positive (data the schema allows) and negative (data it does not: wrong types, missing required
fields, values out of range, invalid formats), run in the test transaction
against the WSGI application, authenticated as a commune user, with a filed request in the database.
(Schemathesis' own pytest plugin does not run on pytest 9 yet, so the operations are walked here with
its strategies and Hypothesis.)
"""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode

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
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            run_operation(operation, mode, headers, calls, failures)
    assert operations >= 40
    assert len(calls) >= 2 * operations
    print("schemathesis:", operations, "operations,", len(calls), "calls, statuses", sorted(set(calls)))
    assert not failures, failures[0]


def run_operation(operation, mode, headers, calls, failures):
    try:
        strategy = operation.as_strategy(generation_mode=mode)
    except Exception:  # an operation without anything to make invalid (no parameters, no body)
        return

    @given(case=strategy)
    @hypothesis_settings(
        max_examples=EXAMPLES if mode is GenerationMode.POSITIVE else max(2, EXAMPLES // 2),
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        if "Authorization" in (case.headers or {}):
            case.headers.pop("Authorization")
        response = case.call(headers=headers)
        calls.append(response.status_code)
        if response.status_code >= 500:
            failures.append(
                (mode.value, case.method, case.formatted_path, case.query, case.body, response.text[:300])
            )

    try:
        run()
    except Unsatisfiable:  # negative mode: nothing in this operation's schema can be made invalid
        if mode is GenerationMode.POSITIVE:
            raise
