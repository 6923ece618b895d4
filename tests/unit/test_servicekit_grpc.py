"""The gRPC guard with a fake context: each error family becomes its status code, with the stable code
and the field in trailing metadata; an outage is UNAVAILABLE, a timeout DEADLINE_EXCEEDED, anything
else INTERNAL, each with its reason too; a call whose deadline has passed is refused before any work."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import NoReturn, cast

import grpc
import pytest

from servicekit import errors
from servicekit.grpc_server import STATUS, Context, Guard, trailing_metadata


class Aborted(Exception):
    """What the fake context raises, as grpc's does, to end the call."""

    def __init__(self, code: grpc.StatusCode, details: str, metadata: Sequence[tuple[str, str]]) -> None:
        super().__init__(code, details)
        self.code, self.details, self.metadata = code, details, tuple(metadata)


class FakeContext:
    def __init__(self, remaining: float | None = 2.0) -> None:
        self._remaining = remaining

    def time_remaining(self) -> float | None:
        return self._remaining

    def invocation_metadata(self) -> tuple[tuple[str, str], ...]:
        return (("x-request-id", "req-1"),)

    async def abort(
        self, code: grpc.StatusCode, details: str = "", trailing_metadata: Sequence[tuple[str, str]] = ()
    ) -> NoReturn:
        raise Aborted(code, details, trailing_metadata)


class Outage(Exception):
    pass


class Slow(Exception):
    pass


guard = Guard(
    logging.getLogger("test.guard"),
    unavailable="The test database is unavailable.",
    is_outage=lambda error: isinstance(error, Outage),
    is_timeout=lambda error: isinstance(error, Slow),
    min_useful_seconds=0.005,
)


class Servicer:
    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.calls = 0

    @guard
    async def Call(self, request: str, context: Context) -> str:  # noqa: N802 - as a gRPC method is named
        self.calls += 1
        if self.error is not None:
            raise self.error
        return request.upper()


def call(servicer: Servicer, context: FakeContext | None = None) -> str:
    async def run() -> str:
        return await servicer.Call("hi", cast("Context", context or FakeContext()))

    return asyncio.run(run())


def aborted(servicer: Servicer, context: FakeContext | None = None) -> Aborted:
    with pytest.raises(Aborted) as raised:
        call(servicer, context)
    return raised.value


class NoSuchThing(errors.NotFound):
    code = "thing_not_found"


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (errors.Malformed(), grpc.StatusCode.INVALID_ARGUMENT),
        (errors.Invalid(), grpc.StatusCode.INVALID_ARGUMENT),
        (errors.Unauthenticated(), grpc.StatusCode.UNAUTHENTICATED),
        (errors.Forbidden(), grpc.StatusCode.PERMISSION_DENIED),
        (NoSuchThing(), grpc.StatusCode.NOT_FOUND),
        (errors.Conflict(), grpc.StatusCode.ALREADY_EXISTS),
        (errors.RateLimited(), grpc.StatusCode.RESOURCE_EXHAUSTED),
        (errors.Unavailable(), grpc.StatusCode.UNAVAILABLE),
        (errors.TimedOut(), grpc.StatusCode.DEADLINE_EXCEEDED),
        (errors.Failed(), grpc.StatusCode.INTERNAL),
    ],
)
def test_each_family_has_its_status_and_sends_its_code(
    error: errors.FlockError, status: grpc.StatusCode
) -> None:
    got = aborted(Servicer(error))
    assert (got.code, got.details, got.metadata) == (status, str(error), (("flock-reason", error.code),))


def test_every_family_is_mapped() -> None:
    assert set(STATUS) == set(errors.FAMILIES)


def test_an_invalid_field_is_named_in_the_metadata() -> None:
    error = errors.Invalid("text must not be empty.", field="text", code="invalid_argument")
    got = aborted(Servicer(error))
    assert got.code == grpc.StatusCode.INVALID_ARGUMENT
    assert (
        got.metadata
        == (("flock-reason", "invalid_argument"), ("flock-field", "text"))
        == trailing_metadata(error)
    )


# Every status the guard sends carries a reason, its own included: a status without one was made up by
# the caller's gRPC library (the connection broke), which the gateway tells apart.


def test_an_outage_is_unavailable_with_its_reason() -> None:
    got = aborted(Servicer(Outage()))
    assert (got.code, got.details, got.metadata) == (
        grpc.StatusCode.UNAVAILABLE,
        "The test database is unavailable.",
        (("flock-reason", "unavailable"),),
    )


def test_a_timeout_is_deadline_exceeded_with_its_reason() -> None:
    got = aborted(Servicer(Slow()))
    assert (got.code, got.metadata) == (grpc.StatusCode.DEADLINE_EXCEEDED, (("flock-reason", "timeout"),))


def test_anything_else_is_internal_and_logged_with_the_request_id(caplog: pytest.LogCaptureFixture) -> None:
    got = aborted(Servicer(KeyError("bug")))
    assert (got.code, got.details, got.metadata) == (
        grpc.StatusCode.INTERNAL,
        "Internal error.",
        (("flock-reason", "internal"),),
    )
    assert "req-1" in caplog.text


def test_a_call_whose_deadline_has_passed_is_refused_before_any_work() -> None:
    servicer = Servicer()
    got = aborted(servicer, FakeContext(remaining=0.001))
    assert (got.code, got.metadata) == (grpc.StatusCode.DEADLINE_EXCEEDED, (("flock-reason", "timeout"),))
    assert servicer.calls == 0
    assert call(servicer, FakeContext(remaining=None)) == "HI"
    assert servicer.calls == 1
