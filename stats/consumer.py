"""The consumer: one FastStream batch subscriber on both event topics, in a consumer group.

A batch (``FLOCK_STATS_BATCH_SIZE`` records or ``FLOCK_STATS_BATCH_TIMEOUT_MS``, whichever comes
first) is written by :class:`~stats.ingest.Ingest`, and only then are its offsets committed (manual
ack). If ClickHouse fails, the same batch is written again, with backoff, until it lands: nothing is
skipped, and nothing is committed meanwhile. On shutdown the batch in flight gets the grace period to
finish (written and committed); one that cannot is left uncommitted, to be read again after a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.message import KafkaMessage

from idl.flock.events.v1 import events
from stats.ingest import Ingest
from stats.settings import StatsSettings

log = logging.getLogger("flock.stats")

FIRST_BACKOFF = 0.1
MAX_BACKOFF = 5.0


async def _whole(message: KafkaMessage) -> KafkaMessage:
    """The decoder: hand the batch over as it came, undecoded (stats.rows decodes each event)."""
    return message


class Consumer:
    """Reads the event topics into ClickHouse until stopped."""

    def __init__(self, settings: StatsSettings, ingest: Ingest) -> None:
        self._ingest = ingest
        self._stopping = asyncio.Event()
        self.batches = 0
        self.broker = KafkaBroker(
            settings.kafka_bootstrap,
            client_id="flock-stats",
            graceful_timeout=settings.grace_seconds,
            # Handlers get the message as it is: no dependency injection, no body validation.
            apply_types=False,
            logger=logging.getLogger("flock.stats.kafka"),
            log_level=logging.DEBUG,  # a line per batch is too many at INFO
        )
        self.broker.subscriber(
            *events.TOPICS,
            group_id=settings.consumer_group,
            batch=True,
            max_records=settings.batch_size,
            batch_timeout_ms=settings.batch_timeout_ms,
            ack_policy=AckPolicy.MANUAL,
            auto_offset_reset="earliest",
            session_timeout_ms=settings.session_timeout_ms,
            heartbeat_interval_ms=max(settings.session_timeout_ms // 3, 100),
            max_partition_fetch_bytes=8 * 1024 * 1024,
            decoder=_whole,
        )(self._handle)

    async def start(self) -> None:
        """Connect and join the consumer group."""
        await self.broker.start()

    async def stop(self) -> None:
        """Stop reading; the batch in flight is written and committed, or left uncommitted."""
        self._stopping.set()
        await self.broker.stop()

    async def _handle(self, message: KafkaMessage) -> None:
        records = message.raw_message if isinstance(message.raw_message, tuple) else (message.raw_message,)
        if await self._write(records):
            await message.ack()  # commits the offsets of everything read so far: this batch
            self.batches += 1

    async def _write(self, records: tuple[Any, ...]) -> bool:
        """Write the batch, again and again until it lands; False if shutdown came first."""
        backoff = FIRST_BACKOFF
        while True:
            started = time.monotonic()
            try:
                written = await self._ingest.write(records)
            except Exception as error:
                log.warning(
                    "writing a batch of %d records failed, trying again in %.1f s: %r",
                    len(records),
                    backoff,
                    error,
                    exc_info=backoff == FIRST_BACKOFF,  # the whole story once per outage
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), backoff)
                if self._stopping.is_set():
                    log.warning("stopping: a batch of %d records is left to be read again", len(records))
                    return False
                backoff = min(backoff * 2, MAX_BACKOFF)
                continue
            log.debug(
                "batch of %d: %d new, %d again, %d copies, %d skipped in %.0f ms",
                written.messages,
                written.new,
                written.again,
                written.copies,
                written.skipped,
                (time.monotonic() - started) * 1000,
            )
            return True
