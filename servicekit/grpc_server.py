"""The gRPC side of a service: the server scaffold and the guard every servicer method goes through.

:class:`GrpcServer` is a ``grpc.aio`` server with the standard health service, bound to its address
(or raising) before anything else starts. Health names the whole server (``""``) and the services
given; :meth:`GrpcServer.stop` reports NOT_SERVING, stops taking calls and gives those in flight a
grace period. :func:`stop_requested` turns SIGTERM and SIGINT into an event to wait for.

:class:`Guard` wraps a servicer method: it refuses a call whose deadline has (all but) passed, and
turns what the method raises into a status, in one place for every service:

- a :class:`~servicekit.errors.FlockError` by its family (:data:`STATUS`), with trailing metadata
  ``flock-reason`` (the error's ``code``) and ``flock-field`` (when the error names a field);
- an error the service's ``is_timeout`` recognises: DEADLINE_EXCEEDED;
- an error its ``is_outage`` recognises (its database out of reach): UNAVAILABLE, logged as a warning;
- anything else: INTERNAL, logged with its traceback and the caller's request id.

Every status the guard sends carries ``flock-reason``, its own refusals included: so a client can
tell a status the service answered with (it ran, or refused, the call) from one its gRPC library made
up when the connection broke (the call may or may not have run).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import signal
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, NoReturn, TypeVar

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from idl.flock.wire import FIELD_METADATA, REASON_METADATA, REQUEST_ID_METADATA
from servicekit.errors import (
    Conflict,
    Failed,
    FlockError,
    Forbidden,
    Gone,
    Invalid,
    Malformed,
    NotFound,
    RateLimited,
    TimedOut,
    Unauthenticated,
    Unavailable,
    family_of,
)

Context = grpc.aio.ServicerContext[Any, Any]
Servicer = TypeVar("Servicer")
Request = TypeVar("Request")
Response = TypeVar("Response")
Handler = Callable[[Servicer, Request, Context], Awaitable[Response]]

STATUS: Mapping[type[FlockError], grpc.StatusCode] = {
    Malformed: grpc.StatusCode.INVALID_ARGUMENT,
    Invalid: grpc.StatusCode.INVALID_ARGUMENT,
    Unauthenticated: grpc.StatusCode.UNAUTHENTICATED,
    Forbidden: grpc.StatusCode.PERMISSION_DENIED,
    NotFound: grpc.StatusCode.NOT_FOUND,
    Gone: grpc.StatusCode.NOT_FOUND,
    Conflict: grpc.StatusCode.ALREADY_EXISTS,
    RateLimited: grpc.StatusCode.RESOURCE_EXHAUSTED,
    Unavailable: grpc.StatusCode.UNAVAILABLE,
    TimedOut: grpc.StatusCode.DEADLINE_EXCEEDED,
    Failed: grpc.StatusCode.INTERNAL,
}

_SERVING = health_pb2.HealthCheckResponse.SERVING
_NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


def status_of(error: FlockError | type[FlockError]) -> grpc.StatusCode:
    """The status code a caller gets for ``error`` (or for any error of its kind)."""
    return STATUS.get(family_of(error), grpc.StatusCode.INTERNAL)


def trailing_metadata(error: FlockError) -> tuple[tuple[str, str], ...]:
    """What a caller reads besides the message: the stable code and, if there is one, the field."""
    reason = ((REASON_METADATA, error.code),)
    return reason + (((FIELD_METADATA, error.field),) if error.field else ())


def deadline_of(context: Context) -> float | None:
    """The call's deadline as a :func:`time.monotonic` instant (None: the caller set none)."""
    remaining = context.time_remaining()
    return None if remaining is None else time.monotonic() + remaining


def _never(_: BaseException) -> bool:
    return False


class Guard:
    """A decorator for servicer methods ``(self, request, context) -> response``; see the module.

    ``is_outage`` says which errors mean the service's dependency is out of reach (UNAVAILABLE with
    ``unavailable`` as the message), ``is_timeout`` which mean it ran out of time. With less than
    ``min_useful_seconds`` left on arrival, no round trip to the dependency could finish, so none
    starts.
    """

    def __init__(
        self,
        log: logging.Logger,
        *,
        unavailable: str,
        is_outage: Callable[[BaseException], bool],
        is_timeout: Callable[[BaseException], bool] = _never,
        min_useful_seconds: float = 0.005,
    ) -> None:
        self._log = log
        self._unavailable = unavailable
        self._is_outage = is_outage
        self._is_timeout = is_timeout
        self._min_useful_seconds = min_useful_seconds

    def __call__(self, handler: Handler[Servicer, Request, Response]) -> Handler[Servicer, Request, Response]:
        """``handler``, guarded."""

        @functools.wraps(handler)
        async def guarded(servicer: Servicer, request: Request, context: Context) -> Response:
            remaining = context.time_remaining()
            if remaining is not None and remaining < self._min_useful_seconds:
                await _abort(context, TimedOut("The deadline passed before the call began."))
            try:
                return await handler(servicer, request, context)
            except FlockError as error:
                await _abort(context, error)
            except Exception as error:  # noqa: BLE001 - every failure becomes a status
                await self._fail(handler.__name__, context, error)
            raise AssertionError("unreachable: context.abort raises")

        return guarded

    async def _fail(self, name: str, context: Context, error: Exception) -> NoReturn:
        if self._is_timeout(error):
            await _abort(context, TimedOut("The deadline passed."))
        request_id = dict(context.invocation_metadata() or ()).get(REQUEST_ID_METADATA, "")
        if self._is_outage(error):
            self._log.warning("%s failed, dependency unreachable (request %s): %r", name, request_id, error)
            await _abort(context, Unavailable(self._unavailable))
        self._log.exception("%s failed (request %s)", name, request_id)
        await _abort(context, Failed("Internal error.", code="internal"))


async def _abort(context: Context, error: FlockError) -> NoReturn:
    await context.abort(status_of(error), str(error), trailing_metadata=trailing_metadata(error))
    raise AssertionError("unreachable: context.abort raises")


class GrpcServer:
    """A ``grpc.aio`` server with the health service, bound to ``host:port`` when built (or raising
    :class:`RuntimeError`), not yet started. ``register`` adds the service's own servicers; health
    reports for the whole server and for each of ``services`` (full names)."""

    def __init__(
        self, host: str, port: int, register: Callable[[grpc.aio.Server], None], services: Sequence[str] = ()
    ) -> None:
        # Without SO_REUSEPORT (on by default in gRPC on Linux) a second process on the same port fails
        # to start instead of silently sharing it.
        self.server = grpc.aio.server(options=[("grpc.so_reuseport", 0)])
        register(self.server)
        self.health = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        self.address = f"{host}:{port}"
        if self.server.add_insecure_port(self.address) == 0:
            raise RuntimeError(f"cannot listen on {self.address}")
        self._services = ["", *services]

    async def start(self, *, serving: bool) -> None:
        """Start taking calls, with health saying SERVING or NOT_SERVING from the first one."""
        await self.set_serving(serving)
        await self.server.start()

    async def set_serving(self, serving: bool) -> None:
        """What health says for the server and each service."""
        for service in self._services:
            await self.health.set(service, _SERVING if serving else _NOT_SERVING)

    async def shut_health(self) -> None:
        """Health says NOT_SERVING for good, so that load balancers stop sending calls."""
        await self.health.enter_graceful_shutdown()

    async def stop(self, grace_seconds: float) -> None:
        """NOT_SERVING, no new calls, and those in flight get ``grace_seconds`` before cancellation."""
        await self.shut_health()
        await self.server.stop(grace_seconds)


def stop_requested() -> asyncio.Event:
    """An event set on SIGTERM or SIGINT (in the running loop)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    return stop
