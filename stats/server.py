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
import signal
from collections.abc import Awaitable

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from idl.flock.stats.v1 import stats_pb2, stats_pb2_grpc
from stats.clickhouse import ClickHouse
from stats.consumer import Consumer
from stats.ingest import Ingest
from stats.service import Stats
from stats.servicer import StatsServicer
from stats.settings import StatsSettings, log_level

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


def build_server(
    clickhouse: ClickHouse, settings: StatsSettings, mode: Mode
) -> tuple[grpc.aio.Server, health.aio.HealthServicer]:
    """The server with the health service (and the stats service, in a mode with the API), bound to its
    address but not started."""
    # Without SO_REUSEPORT (on by default in gRPC on Linux) a second process on the same port fails
    # to start instead of silently sharing it.
    server = grpc.aio.server(options=[("grpc.so_reuseport", 0)])
    if mode.api:
        stats = Stats(clickhouse, ranking_ttl=settings.ranking_ttl_ms / 1000)
        stats_pb2_grpc.add_StatsServiceServicer_to_server(StatsServicer(stats), server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    address = f"{settings.host}:{settings.port}"
    if server.add_insecure_port(address) == 0:
        raise RuntimeError(f"cannot listen on {address}")
    return server, health_servicer


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


async def _watch(
    clickhouse: ClickHouse, health_servicer: health.aio.HealthServicer, services: list[str]
) -> None:
    """Keep health in step with ClickHouse: NOT_SERVING while it does not answer."""
    serving = True
    while True:
        await asyncio.sleep(WATCH_SECONDS)
        answers = await clickhouse.ping()
        if answers != serving:
            serving = answers
            log.warning("ClickHouse %s", "answers again" if answers else "does not answer")
            status = (
                health_pb2.HealthCheckResponse.SERVING
                if answers
                else health_pb2.HealthCheckResponse.NOT_SERVING
            )
            for service in services:
                await health_servicer.set(service, status)


async def serve(settings: StatsSettings, mode: Mode = RUN) -> None:
    """Run until SIGTERM or SIGINT, then shut down gracefully."""
    logging.basicConfig(level=log_level(settings), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    _tune_garbage_collection()
    clickhouse = ClickHouse(settings.clickhouse_url)
    ingest = Ingest(clickhouse) if mode.consume else None
    consumer = Consumer(settings, ingest) if ingest else None
    services = ["", SERVICE_NAME] if mode.api else [""]
    try:
        server, health_servicer = build_server(clickhouse, settings, mode)
        for service in services:
            await health_servicer.set(service, health_pb2.HealthCheckResponse.NOT_SERVING)
        await server.start()
        log.info("listening on %s:%d (%s)", settings.host, settings.port, _describe(mode))
        if await _ready(clickhouse, consumer, stop):
            for service in services:
                await health_servicer.set(service, health_pb2.HealthCheckResponse.SERVING)
            log.info("serving")
            watch = asyncio.create_task(_watch(clickhouse, health_servicer, services))
            await stop.wait()
            watch.cancel()
        log.info("stopping: the batch and calls in flight have %.1f s to finish", settings.grace_seconds)
        await health_servicer.enter_graceful_shutdown()
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
