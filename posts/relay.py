"""The outbox relay: publishes the outbox's rows to the broker, in order, then marks them published.

Every posts process runs one, but only one publishes at a time: the one holding a PostgreSQL advisory
lock (:data:`LOCK_KEY`) on a connection of its own. The others try for the lock every poll interval
and take over once the holder's connection closes (at once when its process dies). A leader's round:

1. read up to ``FLOCK_POSTS_RELAY_BATCH`` unpublished rows, in id order;
2. publish them (key: the post id; value: the payload JSON as stored; header ``event_type``), acks="all";
3. once the broker has acknowledged them, mark them ``published_at = now()`` in one UPDATE.

A crash between 2 and 3 publishes them again: duplicates, never losses (consumers drop duplicates by
``event_id``).

Order. A post's changes take its row lock before writing their outbox row, so one post's rows get ids
in commit order and a round never sees a later one without the earlier ones. A round groups its rows
by partition and sends each partition's rows as one record batch (or several, one after the other,
if they do not fit), which the broker takes or refuses whole; the round ends only once every batch
is settled. So a partition's events are never overtaken: rows that failed stay unpublished and go
first in the next round. (aiokafka's per-message ``send`` pipelines several batches per partition,
and a later one could get through after an earlier one expired.)

Latency. An insert trigger notifies :data:`CHANNEL` when the writing transaction commits, which wakes
the leader; it also polls every ``FLOCK_POSTS_RELAY_POLL_MS`` in case a notification is lost (across
a reconnection, say).

Failures stay here: an unreachable broker (at start-up too) or database is retried with capped
exponential backoff and jitter, while gRPC keeps serving and the rows wait in the outbox. Now and then
the leader deletes rows published more than :data:`RETENTION` ago.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import hashlib
import logging
import os
import random
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer  # type: ignore[import-untyped,unused-ignore]
from aiokafka.partitioner import DefaultPartitioner  # type: ignore[import-untyped,unused-ignore]

from posts.database import Connection
from posts.settings import PostsSettings

log = logging.getLogger("flock.posts.relay")

# The channel the outbox's insert trigger notifies (see the "outbox notify" migration).
CHANNEL = "flock_outbox"
# The advisory lock that makes one relay the leader: any 64-bit number nothing else uses.
LOCK_KEY = int.from_bytes(hashlib.sha256(b"flock.posts.outbox-relay").digest()[:8], "big", signed=True)
# How the relay's connection shows in pg_stat_activity: which process holds the lock.
APPLICATION_NAME = f"flock-posts-relay/{os.getpid()}"
# Published rows are kept this long (for looking into incidents), then deleted.
RETENTION = datetime.timedelta(days=7)
HOUSEKEEPING_SECONDS = 3600.0
_DELETE_CHUNK = 10_000
# A record batch: large enough for a whole round's rows of one partition (events are ~400 bytes), well
# under the 1 MiB a broker takes by default.
MAX_BATCH_BYTES = 512 * 1024
# How long the broker may take to acknowledge, and aiokafka retries a batch, before the round fails.
REQUEST_TIMEOUT_MS = 10_000
# How often aiokafka tries again, within that time, to deliver a batch or to refresh its metadata.
RETRY_BACKOFF_MS = 500
# On shutdown, how long the producer may take to close (it flushes what it still holds).
CLOSE_SECONDS = 2.0

# An asyncpg record (asyncpg ships no type hints).
Row = Any

_UNPUBLISHED = """
SELECT id, topic, key, event_type, payload::text AS payload
FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT $1
"""
_MARK = "UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])"
_DELETE_PUBLISHED = """
DELETE FROM outbox WHERE id IN (
    SELECT id FROM outbox WHERE published_at < now() - $1::interval ORDER BY published_at LIMIT $2
)
"""


class Backoff:
    """Capped exponential delays with jitter: about 0.1 s, 0.2 s, 0.4 s... up to ``cap``, each drawn
    between half and all of its step, so that instances retrying together spread out."""

    def __init__(self, first: float = 0.1, cap: float = 5.0) -> None:
        self.first, self.cap = first, cap
        self._failures = 0

    def next(self) -> float:
        """The delay before the next attempt."""
        step = min(self.cap, self.first * 2 ** min(self._failures, 30))
        self._failures += 1
        return random.uniform(step / 2, step)  # noqa: S311 - jitter, not a secret

    def reset(self) -> None:
        self._failures = 0


class Publisher:
    """An aiokafka producer, started on first use (and again on the next use after a failed start).
    acks="all" without idempotence (Tansu has none); duplicates from retries are the consumers' to
    drop."""

    def __init__(self, bootstrap: str) -> None:
        self._bootstrap = bootstrap
        self._producer: Any = None
        self._partitioner = DefaultPartitioner()

    async def publish(self, rows: Sequence[Row], acknowledged: list[int]) -> None:
        """Publish ``rows`` (in id order) and wait until every one is settled; append the ids the
        broker acknowledged to ``acknowledged``, and raise if any were not."""
        producer = await self._started()
        by_partition: dict[tuple[str, int], list[Row]] = defaultdict(list)
        partitions: dict[str, list[int]] = {}
        for row in rows:
            topic = row["topic"]
            if topic not in partitions:
                partitions[topic] = sorted(await producer.partitions_for(topic))
            # aiokafka's own choice for a keyed message (murmur2, as Kafka's Java client).
            partition = self._partitioner(row["key"].encode(), partitions[topic], partitions[topic])
            by_partition[topic, partition].append(row)
        results = await asyncio.gather(
            *(
                self._send(producer, topic, partition, group, acknowledged)
                for (topic, partition), group in by_partition.items()
            ),
            return_exceptions=True,
        )
        for result in results:
            if isinstance(result, BaseException):
                raise result

    @staticmethod
    async def _send(
        producer: Any, topic: str, partition: int, rows: list[Row], acknowledged: list[int]
    ) -> None:
        """One partition's rows as record batches, each sent once the one before is acknowledged."""
        while rows:
            batch = producer.create_batch()
            taken = 0
            for row in rows:
                # The builder takes a first record whatever its size, then answers None when full.
                metadata = batch.append(
                    key=row["key"].encode(),
                    value=row["payload"].encode(),
                    timestamp=None,
                    headers=[("event_type", row["event_type"].encode())],
                )
                if metadata is None:
                    break
                taken += 1
            batch.close()
            await (await producer.send_batch(batch, topic, partition=partition))
            acknowledged.extend(row["id"] for row in rows[:taken])
            rows = rows[taken:]

    async def _started(self) -> Any:
        if self._producer is None:
            producer = AIOKafkaProducer(
                bootstrap_servers=self._bootstrap,
                client_id="flock-posts-relay",
                acks="all",
                enable_idempotence=False,
                max_batch_size=MAX_BATCH_BYTES,
                request_timeout_ms=REQUEST_TIMEOUT_MS,
                retry_backoff_ms=RETRY_BACKOFF_MS,
            )
            try:
                await producer.start()
            except BaseException:
                await producer.stop()
                raise
            self._producer = producer
        return self._producer

    async def close(self) -> None:
        """Stop the producer, waiting at most :data:`CLOSE_SECONDS` for what it still holds."""
        producer, self._producer = self._producer, None
        if producer is not None:
            try:
                await asyncio.wait_for(producer.stop(), CLOSE_SECONDS)
            except TimeoutError:
                log.warning("the producer did not close within %.0f s", CLOSE_SECONDS)


async def delete_published(connection: Connection, older_than: datetime.timedelta = RETENTION) -> int:
    """Delete rows published more than ``older_than`` ago, in chunks; return how many went."""
    deleted = 0
    while True:
        status = await connection.execute(_DELETE_PUBLISHED, older_than, _DELETE_CHUNK)
        count = int(status.split()[-1])  # "DELETE n"
        deleted += count
        if count < _DELETE_CHUNK:
            return deleted


class Relay:
    """The relay of one posts process: follows while another leads, leads when the lock is free."""

    def __init__(self, settings: PostsSettings) -> None:
        self._db_url = settings.db_url
        self._bootstrap = settings.kafka_bootstrap
        self._batch = settings.relay_batch
        self._poll = settings.relay_poll_ms / 1000
        self._wake = asyncio.Event()
        self._housekept_at = -HOUSEKEEPING_SECONDS

    async def run(self) -> None:
        """Relay until cancelled. Nothing escapes but the cancellation: a lost database connection
        drops the lead (the lock goes with the connection), and the relay connects again."""
        backoff = Backoff()
        while True:
            connection = None
            try:
                connection = await asyncpg.connect(
                    self._db_url, server_settings={"application_name": APPLICATION_NAME}
                )
                await self._lead_when_free(connection, backoff)
            except Exception as error:  # noqa: BLE001 - nothing may stop the relay for good
                delay = backoff.next()
                log.warning("outbox relay: %r; again in %.1f s", error, delay)
                await asyncio.sleep(delay)
            finally:
                if connection is not None:
                    await _close(connection)

    async def _lead_when_free(self, connection: Connection, backoff: Backoff) -> None:
        while not await connection.fetchval("SELECT pg_try_advisory_lock($1)", LOCK_KEY):
            backoff.reset()
            await asyncio.sleep(self._poll)
        backoff.reset()
        log.info("outbox relay: leading, publishing to %s", self._bootstrap)
        await connection.add_listener(CHANNEL, self._notified)
        publisher = Publisher(self._bootstrap)
        try:
            await self._lead(connection, publisher)
        finally:
            await publisher.close()

    def _notified(self, *_: object) -> None:
        self._wake.set()

    async def _lead(self, connection: Connection, publisher: Publisher) -> None:
        backoff = Backoff()
        while True:
            self._wake.clear()
            if time.monotonic() - self._housekept_at >= HOUSEKEEPING_SECONDS:
                if deleted := await delete_published(connection):
                    log.info("outbox relay: deleted %d rows published over %s ago", deleted, RETENTION)
                self._housekept_at = time.monotonic()
            rows = await connection.fetch(_UNPUBLISHED, self._batch)
            if rows:
                acknowledged: list[int] = []
                try:
                    await publisher.publish(rows, acknowledged)
                except Exception as error:  # noqa: BLE001 - whatever the broker did, retry
                    failure: Exception | None = error
                else:
                    failure = None
                if acknowledged:
                    await connection.execute(_MARK, acknowledged)
                if failure is not None:
                    delay = backoff.next()
                    log.warning(
                        "outbox relay: %d of %d events not published (%r); again in %.2f s",
                        len(rows) - len(acknowledged),
                        len(rows),
                        failure,
                        delay,
                    )
                    # A fresh producer for the next attempt: while the broker is away, nothing
                    # reconnects (and logs) more often than this backoff.
                    await publisher.close()
                    await asyncio.sleep(delay)
                    continue
                backoff.reset()
                if len(rows) == self._batch:
                    continue  # more are waiting
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll)


async def _close(connection: Connection) -> None:
    """Close the relay's connection (which releases the lock), or drop it if the server is gone."""
    try:
        await asyncio.wait_for(connection.close(), CLOSE_SECONDS)
    except Exception:  # noqa: BLE001 - the socket goes either way, and with it the lock
        connection.terminate()


@asynccontextmanager
async def running(settings: PostsSettings) -> AsyncIterator[None]:
    """The relay, in the background for the duration of the block; none when ``FLOCK_KAFKA_BOOTSTRAP``
    is empty (events then wait in the outbox). On exit the relay stops: a round in flight is abandoned
    unmarked (its rows go again later), the producer closes and the lock is released."""
    if not settings.kafka_bootstrap:
        log.warning("FLOCK_KAFKA_BOOTSTRAP is empty: the outbox relay is off, events wait in the outbox")
        yield
        return
    task = asyncio.create_task(Relay(settings).run(), name="outbox-relay")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
