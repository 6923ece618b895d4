"""The HTTP core's own pieces, in-process: CORS by allow-list, bodies checked before decoding, the
contract's derived problem responses, and one trace per failing place."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import yaml
from litestar import Litestar
from litestar.testing import TestClient

from gateway.app import create_app
from gateway.http.body import MAX_DEPTH, nesting_depth
from gateway.http.errors import _FirstSight
from gateway.settings import load_settings
from scripts import openapi
from tests.unit.gateway.fakes import fake_services

ORIGIN = "https://app.example.org"


@pytest.fixture
def cors_client() -> Iterator[TestClient[Litestar]]:
    settings = load_settings(
        {
            "FLOCK_GATEWAY_DB_URL": "postgresql://unused/unused",
            "FLOCK_JWT_SECRET": "x" * 40,
            "FLOCK_GATEWAY_CORS_ORIGINS": f"{ORIGIN}, https://other.example.org",
        }
    )
    with TestClient(create_app(settings, fake_services())) as client:
        yield client


def test_an_allowed_origin_may_call_with_a_bearer_token(cors_client: TestClient[Litestar]) -> None:
    preflight = cors_client.options(
        "/api/v1/feed",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert preflight.status_code in (200, 204)
    assert preflight.headers["access-control-allow-origin"] == ORIGIN
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    answer = cors_client.get("/api/v1/users/nobody_here/posts", headers={"Origin": ORIGIN})
    assert answer.headers["access-control-allow-origin"] == ORIGIN
    assert "x-request-id" in answer.headers["access-control-expose-headers"].lower()


def test_another_origin_gets_no_cors_headers(cors_client: TestClient[Litestar]) -> None:
    answer = cors_client.get("/health/live", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in answer.headers


@pytest.mark.parametrize(
    ("body", "depth"),
    [(b"{}", 1), (b'{"a": [1, {"b": []}]}', 4), (b'{"a": "[[[[{{{{"}', 1), (b'"\\"[["', 0)],
)
def test_nesting_is_counted_outside_strings(body: bytes, depth: int) -> None:
    assert nesting_depth(body) == depth


def test_counting_stops_past_the_limit() -> None:
    assert nesting_depth(b"[" * 100_000) == MAX_DEPTH + 1


def test_a_failure_is_traced_once_per_place_it_happens() -> None:
    seen = _FirstSight(capacity=2)

    def fail(where: int) -> BaseException:
        try:
            if where == 1:
                raise ValueError("one")
            raise ValueError("two")
        except ValueError as error:
            return error

    assert seen.first(fail(1)) is True
    assert seen.first(fail(1)) is False
    assert seen.first(fail(2)) is True
    assert seen.first(fail(2)) is False


def test_an_unexpected_error_is_logged_with_its_trace_once(caplog: pytest.LogCaptureFixture) -> None:
    services = fake_services()

    async def broken(*_: object) -> None:
        raise RuntimeError("a bug")

    services.posts.get_post = broken  # type: ignore[method-assign,assignment]
    with TestClient(create_app(services=services)) as client, caplog.at_level(logging.ERROR, "flock.gateway"):
        answers = [client.get("/api/v1/posts/00000000-0000-0000-0000-000000000001") for _ in range(3)]
    assert [a.status_code for a in answers] == [500, 500, 500]
    traced = [record for record in caplog.records if record.exc_info]
    assert len(traced) == 1
    assert len([r for r in caplog.records if "seen before" in r.getMessage()]) == 2


OPERATIONS = [
    (path, method, operation)
    for path, item in yaml.safe_load(openapi.SPEC_PATH.read_text())["paths"].items()
    if path.startswith("/api/v1/")
    for method, operation in item.items()
]


@pytest.mark.parametrize(
    ("path", "method", "operation"), OPERATIONS, ids=[f"{m} {p}" for p, m, _ in OPERATIONS]
)
def test_every_operation_documents_its_problems(path: str, method: str, operation: dict[str, object]) -> None:
    responses = operation["responses"]
    assert isinstance(responses, dict)
    expected = {"422", "503"}
    if "requestBody" in operation:
        expected |= {"400", "413", "415"}
    if "{" in path:
        expected.add("404")
    if operation.get("security"):
        expected.add("401")
    assert expected <= set(responses), f"missing {sorted(expected - set(responses))}"
    for status, response in responses.items():
        if int(status) >= 400:
            assert list(response["content"]) == ["application/problem+json"], status
            assert response["content"]["application/problem+json"]["schema"] == {
                "$ref": "#/components/schemas/ProblemBody"
            }


def test_strict_bodies_say_they_refuse_unknown_fields() -> None:
    schemas = yaml.safe_load(openapi.SPEC_PATH.read_text())["components"]["schemas"]
    for name in (
        "UserCreate",
        "UserUpdate",
        "LoginRequest",
        "RefreshRequest",
        "PostCreate",
        "PostUpdate",
        "CommentCreate",
    ):
        assert schemas[name]["additionalProperties"] is False, name
