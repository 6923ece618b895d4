"""Channels to the internal services, and the one place where a failed gRPC call becomes an error
with meaning (a :mod:`servicekit.errors` family), so that ``grpc`` stops at the clients.

A call that failed is one of three things (:func:`fate_of`):

- **answered**: the service sent the status itself, with ``flock-reason`` in its trailing metadata
  (every status of a :class:`servicekit.grpc_server.Guard` carries one): it means what it says;
- **not sent**: there was no connection to send it on (gRPC failed to pick one: "failed to connect to
  all addresses", a name that does not resolve), or none came up before the deadline: nothing reached
  the service, so nothing was changed;
- **lost**: it went out on a connection and ended without an answer from the service (UNAVAILABLE
  "Stream removed", "Socket closed", a reset; DEADLINE_EXCEEDED; CANCELLED): a write may or may not
  have been made.

The last two both come as UNAVAILABLE, and gRPC's wording tells them apart: a failed pick says so,
and nothing else does. A deadline would not: so a call goes out only once its channel is connected,
or has failed to connect (:func:`_settled`). One whose channel never connects within its deadline was
*not sent*; a deadline that passes after it went out means *lost*.

What happens next depends on what the call is (:class:`Call`). One that is safe to send again (a read,
an idempotent write, a create with an idempotency key) and was not answered is sent once more within
the same deadline, as soon as its channel is connected again, so that a restart of the service is a
slower answer rather than an error; a create without a key is sent again only if it never left. What
is then still unknown is :class:`OutcomeUnknown`; what surely changed nothing, :class:`Unavailable`
(or :class:`TimedOut`).
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections.abc import Awaitable, Callable, Collection, Mapping
from typing import TypeVar

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from idl.flock import wire
from servicekit.cursors import InvalidCursor
from servicekit.errors import (
    Failed,
    FlockError,
    Gone,
    Malformed,
    OutcomeUnknown,
    TimedOut,
    Unavailable,
)
from servicekit.grpc_server import STATUS, status_of

log = logging.getLogger("flock.gateway.clients")

Reply = TypeVar("Reply")

# A restarted service is found again within about 100 ms of serving: while it is down, its channel
# tries to connect every 100 ms (±20 % jitter), not after gRPC's default backoff (1 s, growing to two
# minutes; at 100 ms growing to 2 s, the gateway answered 503 for up to a second after the service was
# back). A refused connection costs nothing. grpc.min_reconnect_backoff_ms stays at its default (20 s):
# gRPC uses it as the time a connection attempt may take, not as a backoff. Keepalives notice a dead
# peer without waiting for a call to hang.
CHANNEL_OPTIONS = [
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 100),
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 5_000),
]

# What a service's status code means: the services' own table (servicekit.grpc_server.STATUS) read
# backwards. INVALID_ARGUMENT reads as Invalid (its field says more), NOT_FOUND as NotFound (a Gone is
# told by its reason code); INTERNAL and anything unlisted is our fault (Failed), told to the client
# without the service's words.
_FAMILIES: dict[grpc.StatusCode, type[FlockError]] = {
    status: family for family, status in STATUS.items() if family not in (Malformed, Gone, Failed)
}
# Request fields of the gRPC contracts, by the name the REST API gives them.
REST_FIELDS = {"page_size": "limit", "page_token": "cursor", "idempotency_key": "Idempotency-Key"}

# How gRPC words an UNAVAILABLE for a call that found no connection to go out on (its pick failed
# before anything was sent). An UNAVAILABLE worded otherwise counts as lost: the safe side.
_NO_CONNECTION = (
    "failed to connect to all addresses",
    "connections to all backends failing",
    "errors resolving",
    "DNS resolution failed",
    "empty address list",
)
# The statuses gRPC itself ends a call with when the answer does not come.
_CUT_OFF = frozenset(
    {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.CANCELLED}
)
_READY = frozenset({grpc.ChannelConnectivity.READY})
# A call goes out once its channel is in one of these: connected, or failed to connect (then it fails
# at once, unsent), or closed.
_SETTLED = frozenset(
    {
        grpc.ChannelConnectivity.READY,
        grpc.ChannelConnectivity.TRANSIENT_FAILURE,
        grpc.ChannelConnectivity.SHUTDOWN,
    }
)
# Below this, no call could go out and come back: it is not sent at all.
_MIN_CALL_SECONDS = 0.005


class Call(enum.Enum):
    """What sending a call twice would do, which says whether the gateway may."""

    READ = "read"  # nothing: it changes nothing
    IDEMPOTENT = "idempotent"  # nothing more: a like, an edit, a delete, a create with an idempotency key
    ONCE = "once"  # make the change twice: a create without an idempotency key


class Fate(enum.Enum):
    """What became of a call that failed; see the module."""

    ANSWERED = "answered"
    NOT_SENT = "not sent"
    LOST = "lost"


def open_channel(address: str) -> grpc.aio.Channel:
    """A channel to an internal service (plaintext: they sit on a private network)."""
    return grpc.aio.insecure_channel(address, options=CHANNEL_OPTIONS)


def fate_of(error: grpc.aio.AioRpcError) -> Fate:
    """Whether the service answered ``error``, or the call never left, or it was lost on the way."""
    if any(key == wire.REASON_METADATA for key, _ in error.trailing_metadata() or ()):
        return Fate.ANSWERED
    details = error.details() or ""
    if error.code() == grpc.StatusCode.UNAVAILABLE and any(words in details for words in _NO_CONNECTION):
        return Fate.NOT_SENT
    # Any other status without a reason came from gRPC on either side (UNIMPLEMENTED, INTERNAL): it is
    # answered as the failure it is.
    return Fate.LOST if error.code() in _CUT_OFF else Fate.ANSWERED


def translate(
    service: str,
    error: grpc.aio.AioRpcError,
    reasons: Mapping[str, type[FlockError]],
    request_id: str,
) -> FlockError:
    """The error an answered call means: a family by status code, or the finer error ``reasons``
    names for the service's ``flock-reason`` when the service would answer it with that status."""
    status, detail = error.code(), error.details() or ""
    trailing = dict(error.trailing_metadata() or ())
    field = str(trailing.get(wire.FIELD_METADATA, ""))
    reason = str(trailing.get(wire.REASON_METADATA, ""))
    family = _FAMILIES.get(status)
    if family is None:
        log.error("request %s: %s: %s: %s", request_id, service, status.name, detail)
        return Failed("A service failed; quote the request_id when reporting it.")
    if family is Unavailable:
        # The service refused the call (its database is out of reach): it changed nothing.
        log.warning("request %s: %s: %s: %s", request_id, service, status.name, detail)
        return Unavailable(f"The {service} service is unavailable; nothing was changed. Retry shortly.")
    if family is TimedOut:
        # The service gave up before it began.
        log.warning("request %s: %s: %s: %s", request_id, service, status.name, detail)
        return TimedOut(f"The {service} service did not answer in time; nothing was changed. Retry shortly.")
    rest_field = REST_FIELDS.get(field, field)
    if rest_field == "cursor":
        return InvalidCursor()
    finer = reasons.get(reason)
    # The finer error must mean what the status code says (a Gone is a NOT_FOUND on the wire).
    if finer is not None and status_of(finer) == status:
        return finer(detail or None, field=rest_field or None)
    return family(detail or None, field=rest_field)


def unanswered(service: str, call: Call, fates: Collection[Fate], *, timed_out: bool) -> Unavailable:
    """What the caller is told of a call the service never answered, by what it is (``call``), what
    became of each attempt (``fates``) and whether the last one ran out of time."""
    if Fate.LOST in fates and call is not Call.READ:
        done = "the change may or may not have been made"
        if call is Call.IDEMPOTENT:
            return OutcomeUnknown(
                f"The {service} service stopped answering after it got the request: {done}. Sending the "
                "same request again is safe (with the same Idempotency-Key, if it had one)."
            )
        return OutcomeUnknown(
            f"The {service} service stopped answering after it got the request: {done}. Check before "
            "sending it again; a request sent with an Idempotency-Key can be repeated with the same key."
        )
    if timed_out and Fate.LOST in fates:
        return TimedOut(f"The {service} service did not answer in time. Retry shortly.")
    if timed_out:
        return TimedOut(
            f"The {service} service could not be reached in time; nothing was changed. Retry shortly."
        )
    return Unavailable(f"The {service} service is unavailable; nothing was changed. Retry shortly.")


async def _settled(
    channel: grpc.aio.Channel, states: frozenset[grpc.ChannelConnectivity], until: float
) -> bool:
    """Whether ``channel`` is in one of ``states``, or gets there before :func:`time.monotonic` reads
    ``until``; an idle channel is asked to connect."""
    state = channel.get_state(try_to_connect=True)
    if state in states:  # nearly always: no timer to set
        return True
    try:
        async with asyncio.timeout(until - time.monotonic()):
            while state not in states:
                await channel.wait_for_state_change(state)
                state = channel.get_state(try_to_connect=True)
    except TimeoutError:
        return False
    return True


def _patience(until: float) -> float:
    """How long a repeat may wait for its channel to connect again: until the deadline, less what the
    call itself needs (a quarter of the time left, at most 250 ms)."""
    left = max(0.0, until - time.monotonic())
    return until - min(0.25, left / 4)


async def call_service(
    service: str,
    channel: grpc.aio.Channel,
    method: Callable[..., Awaitable[Reply]],
    request: object,
    *,
    call: Call,
    deadline: float,
    request_id: str,
    reasons: Mapping[str, type[FlockError]],
    gone: Reply | None = None,
) -> Reply:
    """Call ``method`` on ``channel`` within ``deadline`` seconds, with the request id; a failure
    raises what it means. Sent again once within the deadline, as soon as the channel is connected
    again, when the service did not answer and ``call`` is safe to repeat (see the module). ``gone``:
    the reply when a repeat after a lost attempt answers NOT_FOUND (a delete: the first one did it)."""
    until = time.monotonic() + deadline
    metadata = ((wire.REQUEST_ID_METADATA, request_id),)
    fates: list[Fate] = []
    # Out once the channel is connected, or has failed to connect (then the call fails at once, unsent).
    if not await _settled(channel, _SETTLED, until - _MIN_CALL_SECONDS):
        log.warning("request %s: %s: no connection within the deadline", request_id, service)
        raise unanswered(service, call, fates, timed_out=True)
    while True:
        try:
            return await method(request, timeout=until - time.monotonic(), metadata=metadata)
        except grpc.aio.AioRpcError as error:
            fate = fate_of(error)
            if fate is Fate.ANSWERED:
                if gone is not None and Fate.LOST in fates and error.code() == grpc.StatusCode.NOT_FOUND:
                    return gone
                raise translate(service, error, reasons, request_id) from None
            log.warning(
                "request %s: %s: %s, %s: %s",
                request_id,
                service,
                error.code().name,
                fate.value,
                error.details(),
            )
            fates.append(fate)
            timed_out = error.code() == grpc.StatusCode.DEADLINE_EXCEEDED
            if len(fates) > 1 or timed_out or (fate is Fate.LOST and call is Call.ONCE):
                raise unanswered(service, call, fates, timed_out=timed_out) from None
        # Again, once connected again: a restarted service answers as soon as it serves.
        if not await _settled(channel, _READY, _patience(until)):
            raise unanswered(service, call, fates, timed_out=False)


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
