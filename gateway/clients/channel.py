"""Channels to the internal services, and the one place where a failed gRPC call becomes an error
with meaning (a :mod:`servicekit.errors` family), so that ``grpc`` stops at the clients."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from idl.flock import wire
from servicekit.cursors import InvalidCursor
from servicekit.errors import (
    Conflict,
    Failed,
    FlockError,
    Forbidden,
    Invalid,
    NotFound,
    RateLimited,
    TimedOut,
    Unauthenticated,
    Unavailable,
    family_of,
)

log = logging.getLogger("flock.gateway.clients")

Reply = TypeVar("Reply")

# A restarted service is found again within a second or two, not after gRPC's default backoff
# (which grows to two minutes); keepalives notice a dead peer without waiting for a call to hang.
# grpc.min_reconnect_backoff_ms stays at its default: gRPC also uses it as the connect timeout.
CHANNEL_OPTIONS = [
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 2000),
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 5_000),
]

# What a service's status code means; anything not listed is our fault (Failed).
_FAMILIES: dict[grpc.StatusCode, type[FlockError]] = {
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.PERMISSION_DENIED: Forbidden,
    grpc.StatusCode.UNAUTHENTICATED: Unauthenticated,
    grpc.StatusCode.INVALID_ARGUMENT: Invalid,
    grpc.StatusCode.ALREADY_EXISTS: Conflict,
    grpc.StatusCode.RESOURCE_EXHAUSTED: RateLimited,
    grpc.StatusCode.UNAVAILABLE: Unavailable,
    grpc.StatusCode.DEADLINE_EXCEEDED: TimedOut,
}
# Request fields of the gRPC contracts, by the name the REST API gives them.
REST_FIELDS = {"page_size": "limit", "page_token": "cursor", "idempotency_key": "Idempotency-Key"}


def open_channel(address: str) -> grpc.aio.Channel:
    """A channel to an internal service (plaintext: they sit on a private network)."""
    return grpc.aio.insecure_channel(address, options=CHANNEL_OPTIONS)


def translate(
    service: str,
    error: grpc.aio.AioRpcError,
    reasons: Mapping[str, type[FlockError]],
    request_id: str,
) -> FlockError:
    """The error a failed call means: a family by status code, or the finer error ``reasons`` names
    for the service's ``flock-reason`` when it belongs to that family."""
    status, detail = error.code(), error.details() or ""
    trailing = dict(error.trailing_metadata() or ())
    field = str(trailing.get(wire.FIELD_METADATA, ""))
    reason = str(trailing.get(wire.REASON_METADATA, ""))
    family = _FAMILIES.get(status)
    if family is None:
        log.error("request %s: %s: %s: %s", request_id, service, status.name, detail)
        return Failed("A service failed; quote the request_id when reporting it.")
    if family is Unavailable:
        log.warning("request %s: %s: %s: %s", request_id, service, status.name, detail)
        return Unavailable(f"The {service} service is unavailable; nothing was changed. Retry shortly.")
    if family is TimedOut:
        log.warning("request %s: %s: %s: %s", request_id, service, status.name, detail)
        return TimedOut(f"The {service} service did not answer in time. Retry shortly.")
    rest_field = REST_FIELDS.get(field, field)
    if rest_field == "cursor":
        return InvalidCursor()
    finer = reasons.get(reason)
    if finer is not None and family_of(finer) is family:
        return finer(detail or None, field=rest_field or None)
    return family(detail or None, field=rest_field)


async def call_service(
    service: str,
    method: Callable[..., Awaitable[Reply]],
    request: object,
    *,
    deadline: float,
    request_id: str,
    reasons: Mapping[str, type[FlockError]],
) -> Reply:
    """Call ``method`` with a deadline (seconds) and the request id; a failure raises what it means."""
    try:
        return await method(request, timeout=deadline, metadata=((wire.REQUEST_ID_METADATA, request_id),))
    except grpc.aio.AioRpcError as error:
        raise translate(service, error, reasons, request_id) from None


class HealthProbe:
    """The standard gRPC health check of one service on a channel."""

    def __init__(self, channel: grpc.aio.Channel, service: str, timeout: float) -> None:
        self._stub = health_pb2_grpc.HealthStub(channel)
        self._service = service
        self._timeout = timeout

    async def check(self) -> str:
        """``ok`` when the service reports SERVING; else what it said, or ``unavailable``."""
        try:
            reply = await self._stub.Check(
                health_pb2.HealthCheckRequest(service=self._service), timeout=self._timeout
            )
        except grpc.aio.AioRpcError as error:
            return "unavailable" if error.code() != grpc.StatusCode.NOT_FOUND else "unknown_service"
        if reply.status == health_pb2.HealthCheckResponse.SERVING:
            return "ok"
        return str(health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)).lower()
