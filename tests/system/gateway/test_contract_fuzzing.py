"""Property-based: schemathesis generates requests from the committed OpenAPI document for every
operation, valid and not, signed in and anonymous, and checks the answers: never a server error,
only documented status codes, only documented content types. A bounded, deterministic run, against
a gateway whose rate limits are lifted so that registration and log-in are exercised too."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import content_type_conformance, not_a_server_error, status_code_conformance

from scripts import openapi
from tests.conftest import RunningProcess, free_port, gateway_process, start_process
from tests.factories import Member, Members

SCHEMA = schemathesis.openapi.from_path(openapi.SPEC_PATH)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance]
# Examples per operation: ~40 operations, two callers, a few seconds in all.
EXAMPLES = 30
BOUNDED = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def unlimited_gateway(gateway: RunningProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second gateway on the session's database and services, without the auth rate limits."""
    env = {
        **gateway.env,
        "FLOCK_GATEWAY_PORT": str(free_port()),
        "FLOCK_AUTH_RATE_LIMIT": "1000000/minute",
        "FLOCK_LOGIN_ACCOUNT_RATE_LIMIT": "1000000/minute",
    }
    running = start_process(gateway_process(env), tmp_path_factory.mktemp("fuzzed"))
    yield f"http://127.0.0.1:{env['FLOCK_GATEWAY_PORT']}"
    running.stop()


@pytest.fixture(scope="module")
def fuzzer(unlimited_gateway: str) -> Member:
    """The account the signed-in requests come from."""
    return Members(unlimited_gateway).create()


@SCHEMA.parametrize()
@BOUNDED
def test_anonymous_requests_get_documented_answers(
    case: schemathesis.Case[Any], unlimited_gateway: str
) -> None:
    case.call_and_validate(base_url=unlimited_gateway, checks=CHECKS)


@SCHEMA.parametrize()
@BOUNDED
def test_signed_in_requests_get_documented_answers(
    case: schemathesis.Case[Any], unlimited_gateway: str, fuzzer: Member
) -> None:
    headers = {**dict(case.headers or {}), **fuzzer.auth}
    case.call_and_validate(base_url=unlimited_gateway, headers=headers, checks=CHECKS)
