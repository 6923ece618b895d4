"""The consumer: one FastStream batch subscriber on both event topics, in a consumer group.

Two stages, so that reading and writing overlap (the ClickHouse engine works outside Python's GIL):
the subscriber's handler takes a batch (``FLOCK_STATS_BATCH_SIZE`` records or
``FLOCK_STATS_BATCH_TIMEOUT_MS``, whichever comes first), decodes it and queues it; a writer task
writes the queued batches one at a time, in order, with :class:`~stats.ingest.Ingest`, and only then
commits their offsets (manual acknowledgement: the offset after each partition's last record of that
batch, never beyond). At most one batch waits while another is written.

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
from typing import cast

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.message import KafkaMessage

from idl.flock.events.v1 import events
from stats import rows
from stats.ingest import Ingest
from stats.rows import Partition, Record
from stats.settings import StatsSettings

log = logging.getLogger("flock.stats")

FIRST_BACKOFF = 0.1
MAX_BACKOFF = 5.0


@dataclasses.dataclass(frozen=True)
class Batch:
    """Records read together: decoded, how many, and the last offset read of each partition."""

    consumer: AIOKafkaConsumer
    records: list[Record]
    messages: int
    last_offsets: dict[Partition, int]


async def _whole(message: KafkaMessage) -> KafkaMessage:
    """The decoder: hand the batch over as it came, undecoded (stats.rows decodes each event)."""
    return message


class Consumer:
    """Reads the event topics into ClickHouse until stopped."""

    def __init__(self, settings: StatsSettings, ingest: Ingest) -> None:
        self._ingest = ingest
        self._grace = settings.grace_seconds
        self._queue: asyncio.Queue[Batch] = asyncio.Queue(maxsize=1)
        self._stopping = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
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
        """Start writing, connect and join the consumer group."""
        self._writer = asyncio.create_task(self._write_forever())
        await self.broker.start()

    async def stop(self) -> None:
        """Stop reading; what was read is written and committed within the grace period, or left
        uncommitted."""
        self._stopping.set()
        if self._writer is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._until_written(), self._grace)
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
        await self.broker.stop()

    async def _until_written(self) -> None:
        await self._queue.join()

    async def _handle(self, message: KafkaMessage) -> None:
        if self._stopping.is_set():
            return  # read after stop began: not committed, read again after a restart
        raw = message.raw_message if isinstance(message.raw_message, tuple) else (message.raw_message,)
        last_offsets: dict[Partition, int] = {}
        for record in raw:
            last_offsets[(record.topic, record.partition)] = record.offset
        records = await asyncio.to_thread(rows.decode, raw)
        # FastStream hands over the aiokafka consumer that read the batch: it commits the offsets.
        consumer = cast("AIOKafkaConsumer", message.consumer)
        await self._queue.put(Batch(consumer, records, len(raw), last_offsets))

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
        backoff = FIRST_BACKOFF
        while True:
            started = time.monotonic()
            try:
                written = await self._ingest.write(batch.records, batch.last_offsets)
            except Exception as error:
                log.warning(
                    "writing a batch of %d records failed, trying again in %.1f s: %r",
                    batch.messages,
                    backoff,
                    error,
                    exc_info=backoff == FIRST_BACKOFF,  # the whole story once per outage
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), backoff)
                if self._stopping.is_set():
                    log.warning("stopping: a batch of %d records is left to be read again", batch.messages)
                    return False
                backoff = min(backoff * 2, MAX_BACKOFF)
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
        offsets = {TopicPartition(*source): offset + 1 for source, offset in batch.last_offsets.items()}
        try:
            await batch.consumer.commit(offsets)
        except KafkaError as error:
            # The partitions moved to another consumer meanwhile (or the broker is away): the batch
            # is read again, which changes nothing (see stats.ingest).
            log.warning("could not commit a written batch (%r); it will be read again", error)
        except Exception:
            log.exception("could not commit a written batch; it will be read again")
