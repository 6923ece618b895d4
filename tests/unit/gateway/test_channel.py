"""How the gateway tells a call that never left from one whose answer was lost, and what it sends again:
against a real grpc.aio server in this process, so that what is classified is gRPC's own wording of
each failure. The standard health service's Check stands in for any call: its ``service`` field says
what the server does with it."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from gateway.clients.channel import Call, Fate, call_service, fate_of, open_channel
from servicekit import errors
from servicekit.grpc_server import Context, Guard
from tests.conftest import free_port

SERVING = health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.SERVING)
GONE = health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.SERVICE_UNKNOWN)
_rpc = Guard(
    logging.getLogger("test.channel"), unavailable="The test database is unavailable.", is_outage=bool
)


class Probe(health_pb2_grpc.HealthServicer):  # type: ignore[misc]  # grpc_health has no types
    """What the server does with a Check, by its ``service``: ``""`` answers; ``slow`` answers too
    late; ``refuse`` is refused by the guard (UNAVAILABLE with a reason, as a database outage is);
    ``cut``: the first such call stops the server at once, with the call in flight (as a crash does),
    and ``restart`` starts it again 200 ms later; afterwards ``cut`` answers, or is not found with
    ``then_missing``."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.calls = 0
        self.restart = False
        self.then_missing = False
        self.server: grpc.aio.Server | None = None
        self._cut = False
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        server = grpc.aio.server()
        health_pb2_grpc.add_HealthServicer_to_server(self, server)
        server.add_insecure_port(f"127.0.0.1:{self.port}")
        await server.start()
        self.server = server

    async def stop(self) -> None:
        await asyncio.gather(*self._tasks)  # a restart under way, first
        if self.server is not None:
            await self.server.stop(0)

    async def _crash(self) -> None:
        assert self.server is not None
        await self.server.stop(0)
        if self.restart:
            await asyncio.sleep(0.2)
            await self.start()

    @_rpc
    async def Check(  # noqa: N802
        self, request: health_pb2.HealthCheckRequest, context: Context
    ) -> health_pb2.HealthCheckResponse:
        self.calls += 1
        if request.service == "slow":
            await asyncio.sleep(5)
        if request.service == "refuse":
            raise errors.Unavailable("The test database is unavailable.")
        if request.service == "cut" and not self._cut:
            self._cut = True
            task = asyncio.get_running_loop().create_task(self._crash())
            self._tasks.add(task)
            await asyncio.sleep(5)
        if request.service == "cut" and self.then_missing:
            raise errors.NotFound("No such thing.")
        return SERVING


Caller = Callable[[str, Call], Awaitable[health_pb2.HealthCheckResponse]]


@asynccontextmanager
async def channel_to(probe: Probe, deadline: float = 1.0) -> AsyncIterator[Caller]:
    """A gateway channel to ``probe``'s port, and a function making a Check through ``call_service``."""
    channel = open_channel(f"127.0.0.1:{probe.port}")
    stub = health_pb2_grpc.HealthStub(channel)

    async def check(service: str, call: Call) -> health_pb2.HealthCheckResponse:
        request = health_pb2.HealthCheckRequest(service=service)
        return await call_service(
            "test",
            channel,
            stub.Check,
            request,
            call=call,
            deadline=deadline,
            request_id="req-1",
            reasons={},
            gone=GONE,
        )

    try:
        yield check
    finally:
        await channel.close()
        await probe.stop()


def run(scenario: Callable[[Probe], Awaitable[None]], *, serving: bool = True) -> Probe:
    probe = Probe(free_port())

    async def main() -> None:
        if serving:
            await probe.start()
        await scenario(probe)

    asyncio.run(main())
    return probe


def test_a_call_to_a_service_that_is_down_changed_nothing() -> None:
    async def scenario(probe: Probe) -> None:
        async with channel_to(probe, deadline=0.5) as check:
            started = time.monotonic()
            with pytest.raises(errors.Unavailable) as raised:
                await check("", Call.ONCE)
            assert time.monotonic() - started < 0.5
        assert type(raised.value) is errors.Unavailable
        assert "nothing was changed" in str(raised.value)

    run(scenario, serving=False)


def test_a_call_that_never_left_is_sent_once_the_service_is_up() -> None:
    async def scenario(probe: Probe) -> None:
        async with channel_to(probe) as check:
            asyncio.get_running_loop().call_later(0.2, lambda: asyncio.ensure_future(probe.start()))
            assert await check("", Call.ONCE) == SERVING

    assert run(scenario, serving=False).calls == 1


def test_a_write_whose_answer_was_lost_has_an_unknown_outcome() -> None:
    async def scenario(probe: Probe) -> None:
        async with channel_to(probe) as check:
            with pytest.raises(errors.OutcomeUnknown) as raised:
                await check("cut", Call.ONCE)
        assert "may or may not have been made" in str(raised.value)
        assert raised.value.code == "outcome_unknown"

    assert run(scenario).calls == 1


def test_a_create_without_a_key_is_not_sent_again_even_when_the_service_is_back() -> None:
    async def scenario(probe: Probe) -> None:
        probe.restart = True
        async with channel_to(probe) as check:
            with pytest.raises(errors.OutcomeUnknown):
                await check("cut", Call.ONCE)

    assert run(scenario).calls == 1


@pytest.mark.parametrize("call", [Call.READ, Call.IDEMPOTENT])
def test_a_call_safe_to_repeat_is_sent_again_once_the_service_is_back(call: Call) -> None:
    async def scenario(probe: Probe) -> None:
        probe.restart = True
        async with channel_to(probe) as check:
            assert await check("cut", call) == SERVING

    assert run(scenario).calls == 2


def test_an_idempotent_write_lost_twice_has_an_unknown_outcome_and_may_be_repeated() -> None:
    async def scenario(probe: Probe) -> None:
        async with channel_to(probe, deadline=0.5) as check:
            with pytest.raises(errors.OutcomeUnknown) as raised:
                await check("cut", Call.IDEMPOTENT)
        assert "Sending the same request again is safe" in str(raised.value)

    assert run(scenario).calls == 1


def test_a_read_lost_is_unavailable_not_unknown() -> None:
    async def scenario(probe: Probe) -> None:
        async with channel_to(probe, deadline=0.5) as check:
            with pytest.raises(errors.Unavailable) as raised:
                await check("cut", Call.READ)
        assert type(raised.value) is errors.Unavailable

    run(scenario)


def test_a_delete_repeated_after_a_lost_answer_is_done_when_the_repeat_finds_nothing() -> None:
    async def scenario(probe: Probe) -> None:
        probe.restart = probe.then_missing = True
        async with channel_to(probe) as check:
            assert await check("cut", Call.IDEMPOTENT) == GONE

    assert run(scenario).calls == 2


def test_a_refusal_by_the_service_itself_is_not_repeated() -> None:
    async def scenario(probe: Probe) -> None:
        async with channel_to(probe) as check:
            with pytest.raises(errors.Unavailable) as raised:
                await check("refuse", Call.IDEMPOTENT)
        assert type(raised.value) is errors.Unavailable
        assert "nothing was changed" in str(raised.value)

    assert run(scenario).calls == 1


def test_a_write_past_its_deadline_has_an_unknown_outcome_and_a_read_is_a_timeout() -> None:
    async def scenario(probe: Probe) -> None:
        async with channel_to(probe, deadline=0.2) as check:
            with pytest.raises(errors.OutcomeUnknown):
                await check("slow", Call.ONCE)
            with pytest.raises(errors.TimedOut) as raised:
                await check("slow", Call.READ)
        assert "did not answer in time" in str(raised.value)

    assert run(scenario).calls == 2


def test_a_peer_that_never_completes_a_connection_is_a_timeout_that_changed_nothing() -> None:
    async def scenario(probe: Probe) -> None:
        async with channel_to(probe, deadline=0.3) as check:
            with pytest.raises(errors.TimedOut) as raised:
                await check("", Call.ONCE)
        assert "nothing was changed" in str(raised.value)

    with socket.socket() as mute:  # takes connections (the kernel does) and never speaks HTTP/2
        mute.bind(("127.0.0.1", 0))
        mute.listen(8)
        probe = Probe(mute.getsockname()[1])
        asyncio.run(scenario(probe))
    assert probe.calls == 0


def _error(code: grpc.StatusCode, details: str, reason: str = "") -> grpc.aio.AioRpcError:
    trailing = grpc.aio.Metadata(("flock-reason", reason)) if reason else grpc.aio.Metadata()
    return grpc.aio.AioRpcError(code, grpc.aio.Metadata(), trailing, details=details)


@pytest.mark.parametrize(
    ("error", "fate"),
    [
        (
            _error(grpc.StatusCode.UNAVAILABLE, "The posts database is unavailable.", "unavailable"),
            Fate.ANSWERED,
        ),
        (_error(grpc.StatusCode.NOT_FOUND, "No such post.", "post_not_found"), Fate.ANSWERED),
        (_error(grpc.StatusCode.UNIMPLEMENTED, "Method not found!"), Fate.ANSWERED),
        (
            _error(
                grpc.StatusCode.UNAVAILABLE,
                "failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:1: Failed to "
                "connect to remote host: Connection refused",
            ),
            Fate.NOT_SENT,
        ),
        (
            _error(grpc.StatusCode.UNAVAILABLE, "errors resolving posts:50051: Domain name not found"),
            Fate.NOT_SENT,
        ),
        (_error(grpc.StatusCode.UNAVAILABLE, "Stream removed (Socket closed)"), Fate.LOST),
        (_error(grpc.StatusCode.UNAVAILABLE, "recvmsg:Connection reset by peer"), Fate.LOST),
        (_error(grpc.StatusCode.UNAVAILABLE, "Something gRPC has never said"), Fate.LOST),
        (_error(grpc.StatusCode.DEADLINE_EXCEEDED, "Deadline Exceeded"), Fate.LOST),
        (_error(grpc.StatusCode.CANCELLED, "Cancelled"), Fate.LOST),
    ],
)
def test_the_fate_of_a_failed_call(error: grpc.aio.AioRpcError, fate: Fate) -> None:
    assert fate_of(error) is fate
