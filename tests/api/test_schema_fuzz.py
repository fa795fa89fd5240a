"""The API fuzzed from its own OpenAPI description (schemathesis), as an anonymous caller, a borough lead and an
agency user: every request the schema allows is answered or refused with a documented status, never a 5xx.

Bounded here (``API_FUZZ_EXAMPLES`` examples per operation and identity) so ``make test`` stays quick;
``make fuzz`` runs it with many more (200 by default).
"""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup

from pledge_portal.accounts import services as account_services
from pledge_portal.accounts.roles import Role
from tests.returns.helpers import add_row, draft_return

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "8"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def fuzz_world(world):
    """Something for every endpoint to find: a return with a row on each side, and the region's caps."""
    for side in (world.own, world.other):
        add_row(draft_return(side), side)
    return world


@pytest.fixture
def identities(fuzz_world) -> dict[str, dict]:
    """The headers of each caller: none, a borough lead's API token, an agency user's."""
    callers = {"anonymous": {}}
    for role in (Role.BOROUGH_SUBMITTER, Role.AGENCY_USER):
        key = account_services.create_api_token(user=fuzz_world.own.users[role])
        callers[role] = {"Authorization": f"Token {key}"}
    return callers


@pytest.fixture
def api_schema(fuzz_world, settings):
    """The schema served by the portal itself, called in process (WSGI) inside the test's transaction."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    from pledge_portal.wsgi import application

    settings.DEFAULT_REGION_CODE = fuzz_world.own.region.code
    # As Django's test client does: a request must not close the connection that holds the test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/", application)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_api_answers_every_schema_valid_request_as_documented(api_schema, identities):
    """Each operation in turn (schemathesis' pytest plugin does not run under this pytest, so the cases are
    drawn here with hypothesis directly); every failure is collected, then all are reported together."""
    failures = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 10, "the schema lost its operations"
    for operation in operations:
        label = operation.label

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,  # the same cases on every run: a failure in CI is reproducible here
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case):
            for who, headers in identities.items():
                response = case.call(headers=headers)
                try:
                    case.validate_response(response, checks=CHECKS)
                except FailureGroup as exc:  # every check that failed, with a way to reproduce it
                    failures.append(f"{label} as {who}: {str(exc)[:600]}")  # noqa: B023 (run before the next)
                    return

        fuzz()
    assert not failures, "\n\n".join(failures[:10]) + (
        f"\n… and {len(failures) - 10} more" if len(failures) > 10 else ""
    )
