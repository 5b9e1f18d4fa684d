"""Fuzzing every API operation from its OpenAPI document (schemathesis over Hypothesis).

For each operation, generated requests (valid and invalid bodies, query strings, path ids) are sent
in-process through the WSGI application as a county administrator with a token, over a county with
households, members, incomes and cases. The application must never answer 5xx, and every answer must
match the documented response schema. Runs on whichever database the suite runs on (SQLite and
PostgreSQL in CI). Bounded: FUPIN_FUZZ_EXAMPLES examples per operation (default 15).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from fupin.accounts.roles import Role
from fupin.accounts.services import issue_token
from fupin.api.api import api
from tests.conftest import valid_id

EXAMPLES = int(os.environ.get("FUPIN_FUZZ_EXAMPLES", "15"))

schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/v1"))
application = get_wsgi_application()


@pytest.fixture
def connection_kept_open():
    """The WSGI handler closes the database connection after each request (close_old_connections);
    inside a test's transaction that would end it, so, as Django's test client does, keep it open."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def county_admin_token(connection_kept_open, place, make_user, household_factory):
    from fupin.cases import services as cases
    from fupin.registry import services as registry

    admin = make_user(Role.COUNTY_ADMIN, place.county.code, password=None)  # a token, no Argon2 hash
    cadre = make_user(Role.VILLAGE_CADRE, place.village_a1.code, password=None)
    for n in range(3):  # ids 1.. exist, so generated path ids often hit real records
        household = household_factory(village=place.village_a1 if n < 2 else place.village_b1)
        registry.add_member(
            actor=admin,
            household=household,
            values={
                "name": f"成员{n}",
                "sex": "F",
                "relation": "spouse",
                "birth_date": dt.date(1980, 5, 17),
                "labour_capacity": "ordinary",
            },
            id_number=valid_id(sequence=400 + 2 * n),  # an even sequence digit: a woman
        )
        registry.save_income(actor=admin, household=household, year=2025, values={"wage": 12000})
    cases.raise_clue(
        actor=cadre,
        household=household_factory(),
        category="marginal",
        risk_types=["illness"],
        description="户主住院",
    )
    return issue_token(user=admin, keep_others=True)


def _strategy(operation):
    """Valid requests and invalid ones (wrong types, missing fields, out-of-range values)."""
    modes = [operation.as_strategy(GenerationMode.POSITIVE)]
    with contextlib.suppress(Exception):  # an operation with nothing to make invalid
        modes.append(operation.as_strategy(GenerationMode.NEGATIVE))
    return st.one_of(modes)


# One pytest test per operation, with its own id. (schemathesis' own parametrize gives every
# operation the same node id, so pytest-xdist would run only one of them.)
OPERATIONS = [result.ok() for result in schema.get_all_operations()]


@pytest.mark.xdist_group("api-fuzz")
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.label)
def test_no_operation_answers_a_server_error_or_off_its_schema(operation, county_admin_token):
    headers = {"Authorization": f"Bearer {county_admin_token}", "Accept-Language": "zh-hans"}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,  # the same examples on every run, so a red CI run can be replayed
        database=None,
    )
    @given(case=_strategy(operation))
    def call(case):
        case.call_and_validate(
            app=application, headers=headers, checks=[not_a_server_error, response_schema_conformance]
        )

    call()
