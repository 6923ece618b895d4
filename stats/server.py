"""The stats process: the gRPC StatsService, the consumer, or both (the default), with ClickHouse
opened and closed in one lifespan, and the standard health service in every mode.

Health answers NOT_SERVING until ClickHouse answers and the consumer (where there is one) has joined
its group, then SERVING (for the whole server and for ``flock.stats.v1.StatsService`` where that is
served); a check every few seconds turns it back to NOT_SERVING while ClickHouse is out of reach.

On SIGTERM or SIGINT: health says NOT_SERVING; the consumer stops reading, and its batch in flight is
written and committed, or left uncommitted (never half), within ``FLOCK_STATS_GRACE_SECONDS``; then the
server stops taking calls and gives those in flight the same grace; last, ClickHouse closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import logging
from collections.abc import Awaitable

import grpc

from idl.flock.stats.v1 import stats_pb2, stats_pb2_grpc
from servicekit.cli import configure_logging
from servicekit.grpc_server import GrpcServer, stop_requested
from stats.clickhouse import ClickHouse
from stats.consumer import Consumer
from stats.ingest import Ingest
from stats.service import Stats
from stats.servicer import StatsServicer
from stats.settings import StatsSettings

log = logging.getLogger("flock.stats")

SERVICE_NAME = stats_pb2.DESCRIPTOR.services_by_name["StatsService"].full_name
WATCH_SECONDS = 5.0
RETRY_SECONDS = 0.5


@dataclasses.dataclass(frozen=True)
class Mode:
    """Which parts a process runs."""

    api: bool
    consume: bool


RUN = Mode(api=True, consume=True)
SERVE = Mode(api=True, consume=False)
CONSUME = Mode(api=False, consume=True)
MODES = {"run": RUN, "serve": SERVE, "consume": CONSUME}


def build_server(clickhouse: ClickHouse, settings: StatsSettings, mode: Mode) -> GrpcServer:
    """The server with the health service (and the stats service, in a mode with the API), bound to its
    address but not started."""

    def register(server: grpc.aio.Server) -> None:
        if mode.api:
            stats = Stats(clickhouse, ranking_ttl=settings.ranking_ttl_ms / 1000)
            stats_pb2_grpc.add_StatsServiceServicer_to_server(StatsServicer(stats), server)

    return GrpcServer(settings.host, settings.port, register, [SERVICE_NAME] if mode.api else [])


async def _until(stop: asyncio.Event, attempt: Awaitable[object]) -> bool:
    """Whether ``attempt`` finished before ``stop`` was set (it is cancelled if not); its error raises."""
    stopped, work = asyncio.ensure_future(stop.wait()), asyncio.ensure_future(attempt)
    done, pending = await asyncio.wait({stopped, work}, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    if work in done:
        work.result()
        return True
    return False


async def _ready(clickhouse: ClickHouse, consumer: Consumer | None, stop: asyncio.Event) -> bool:
    """Wait for ClickHouse to answer, then start the consumer; False if told to stop first."""
    while not await clickhouse.ping():
        log.warning("ClickHouse does not answer; trying again")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), RETRY_SECONDS)
        if stop.is_set():
            return False
    if consumer is None:
        return True
    return await _until(stop, consumer.start())


async def _watch(clickhouse: ClickHouse, server: GrpcServer) -> None:
    """Keep health in step with ClickHouse: NOT_SERVING while it does not answer."""
    serving = True
    while True:
        await asyncio.sleep(WATCH_SECONDS)
        answers = await clickhouse.ping()
        if answers != serving:
            serving = answers
            log.warning("ClickHouse %s", "answers again" if answers else "does not answer")
            await server.set_serving(answers)


async def serve(settings: StatsSettings, mode: Mode = RUN) -> None:
    """Run until SIGTERM or SIGINT, then shut down gracefully."""
    configure_logging(settings.log_level)
    stop = stop_requested()
    _tune_garbage_collection()
    clickhouse = ClickHouse(settings.clickhouse_url)
    ingest = Ingest(clickhouse) if mode.consume else None
    consumer = Consumer(settings, ingest) if ingest else None
    try:
        server = build_server(clickhouse, settings, mode)
        await server.start(serving=False)
        log.info("listening on %s (%s)", server.address, _describe(mode))
        if await _ready(clickhouse, consumer, stop):
            await server.set_serving(True)
            log.info("serving")
            watch = asyncio.create_task(_watch(clickhouse, server))
            await stop.wait()
            watch.cancel()
        log.info("stopping: the batch and calls in flight have %.1f s to finish", settings.grace_seconds)
        await server.shut_health()
        if consumer is not None:
            await consumer.stop()
        await server.stop(settings.grace_seconds)
    finally:
        if ingest is not None:
            await ingest.close()
        await clickhouse.close()
    log.info("stopped")


def _tune_garbage_collection() -> None:
    """Collect young objects less often, and never scan what was loaded at startup again: a batch makes
    hundreds of thousands of short-lived objects, and the default thresholds spent more time
    collecting than decoding them (measured: ~40% of a batch's time)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


def _describe(mode: Mode) -> str:
    return " and ".join(
        part for part, on in ((SERVICE_NAME, mode.api), ("the event consumer", mode.consume)) if on
    )
