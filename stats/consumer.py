"""The consumer: one batch subscriber (:class:`servicekit.kafka.BatchConsumer`, FastStream) on both
event topics, in a consumer group.

Two stages, so that reading and writing overlap (the ClickHouse engine works outside Python's GIL):
the subscriber's handler takes a batch (``FLOCK_STATS_BATCH_SIZE`` records or
``FLOCK_STATS_BATCH_TIMEOUT_MS``, whichever comes first), decodes it and queues it; a writer task
writes the queued batches one at a time, in order, with :class:`~stats.ingest.Ingest`, and only then
commits their offsets (the offset after each partition's last record of that batch, never beyond:
:func:`servicekit.kafka.commit`). At most one batch waits while another is written.

If ClickHouse fails, the writer writes the same batch again, with backoff, until it lands: nothing
is skipped, nothing is committed meanwhile, and reading stops once the queue is full. On shutdown the
writer gets the grace period to write and commit what it holds; what it cannot is left uncommitted,
to be read again after a restart (and counted once: see :mod:`stats.ingest`).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import Sequence
from typing import Protocol

from aiokafka.errors import KafkaError
from faststream.kafka.message import KafkaMessage

from idl.flock.events.v1 import events
from servicekit import kafka
from servicekit.backoff import Backoff
from stats import rows
from stats.ingest import Written
from stats.rows import Partition, Record
from stats.settings import StatsSettings

log = logging.getLogger("flock.stats")
# What statistics count: every topic but the relationships (blocks and mutes are nobody's statistic).
COUNTED_TOPICS = (events.POSTS_TOPIC, events.VIEWS_TOPIC, events.ACCOUNTS_TOPIC)


class Sink(Protocol):
    """Where batches go (:class:`stats.ingest.Ingest`)."""

    async def write(self, records: Sequence[Record], last_offsets: dict[Partition, int]) -> Written:
        """Write one batch; when it returns, every event of it is counted, exactly once."""
        ...


@dataclasses.dataclass(frozen=True)
class Batch:
    """Records read together: the message that brought them (its consumer commits them), decoded, how
    many, and the last offset read of each partition."""

    message: KafkaMessage
    records: list[Record]
    messages: int
    last_offsets: dict[Partition, int]


class Consumer:
    """Reads the event topics into ClickHouse until stopped."""

    def __init__(self, settings: StatsSettings, ingest: Sink) -> None:
        self._ingest = ingest
        self._grace = settings.grace_seconds
        self._queue: asyncio.Queue[Batch] = asyncio.Queue(maxsize=1)
        self._stopping = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self.batches = 0
        self.subscriber = kafka.BatchConsumer(
            settings.kafka_bootstrap,
            COUNTED_TOPICS,
            self._handle,
            client_id="flock-stats",
            group_id=settings.consumer_group,
            max_records=settings.batch_size,
            batch_timeout_ms=settings.batch_timeout_ms,
            session_timeout_ms=settings.session_timeout_ms,
            graceful_timeout=settings.grace_seconds,
            logger=logging.getLogger("flock.stats.kafka"),
        )

    async def start(self) -> None:
        """Start writing, connect and join the consumer group."""
        self._writer = asyncio.create_task(self._write_forever())
        await self.subscriber.start()

    async def stop(self) -> None:
        """Stop reading; what was read is written and committed within the grace period, or left
        uncommitted."""
        self._stopping.set()
        if self._writer is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._queue.join(), self._grace)
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
        await self.subscriber.stop()

    async def _handle(self, message: KafkaMessage) -> None:
        if self._stopping.is_set():
            return  # read after stop began: not committed, read again after a restart
        raw = kafka.records_of(message)
        last_offsets: dict[Partition, int] = {}
        for record in raw:  # in the order read: the last of a partition is its highest
            last_offsets[(record.topic, record.partition)] = record.offset
        records = await asyncio.to_thread(rows.decode, raw)
        await self._queue.put(Batch(message, records, len(raw), last_offsets))

    async def _write_forever(self) -> None:
        while True:
            batch = await self._queue.get()
            try:
                if await self._write(batch):
                    await self._commit(batch)
                    self.batches += 1
            finally:
                self._queue.task_done()

    async def _write(self, batch: Batch) -> bool:
        """Write the batch, again and again until it lands; False if shutdown came first."""
        backoff = Backoff()
        while True:
            started = time.monotonic()
            try:
                written = await self._ingest.write(batch.records, batch.last_offsets)
            except Exception as error:
                delay = backoff.next()
                log.warning(
                    "writing a batch of %d records failed, trying again in %.1f s: %r",
                    batch.messages,
                    delay,
                    error,
                    exc_info=backoff.failures == 1,  # the whole story once per outage
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), delay)
                if self._stopping.is_set():
                    log.warning("stopping: a batch of %d records is left to be read again", batch.messages)
                    return False
                continue
            log.debug(
                "batch of %d: %d new, %d again, %d copies, %d not events, in %.0f ms",
                batch.messages,
                written.new,
                written.again,
                written.copies,
                batch.messages - len(batch.records),
                (time.monotonic() - started) * 1000,
            )
            return True

    async def _commit(self, batch: Batch) -> None:
        """Commit the batch's offsets, and no later ones (the next batch may be read already)."""
        offsets = {source: offset + 1 for source, offset in batch.last_offsets.items()}
        try:
            await kafka.commit(batch.message, offsets)
        except KafkaError as error:
            # The partitions moved to another consumer meanwhile (or the broker is away): the batch
            # is read again, which changes nothing (see stats.ingest).
            log.warning("could not commit a written batch (%r); it will be read again", error)
        except Exception:
            log.exception("could not commit a written batch; it will be read again")
