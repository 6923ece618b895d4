"""The outbox relay: publishes an outbox's rows (:mod:`servicekit.outbox`) to the broker, in order,
then marks them published.

Every process of a service runs one, but only one publishes at a time: the one holding the outbox's
PostgreSQL advisory lock on a connection of its own. The others try for the lock every poll interval
and take over once the holder's connection closes (at once when its process dies). A leader's round:

1. read up to ``batch`` unpublished rows, in id order;
2. publish them (key: the row's key; value: the payload JSON as stored; header ``event_type``),
   acks from every in-sync replica;
3. once the broker has acknowledged them, mark them ``published_at = now()`` in one UPDATE.

A crash between 2 and 3 publishes them again: duplicates, never losses (consumers drop duplicates by
``event_id``).

Order. A writer that needs one key's events in order takes a row lock before writing its outbox row
(the posts service locks the post), so one key's rows get ids in commit order and a round never sees
a later one without the earlier ones. A round sends each partition's rows as record batches, which
the broker takes or refuses whole (:meth:`servicekit.kafka.Producer.send_in_order`); the round ends
only once every batch is settled. So a partition's events are never overtaken: rows that failed stay
unpublished and go first in the next round.

Latency. The outbox's insert trigger notifies its channel when the writing transaction commits, which
wakes the leader; it also polls every ``poll_seconds`` in case a notification is lost (across a
reconnection, say).

Failures stay here: an unreachable broker (at start-up too) or database is retried with capped
exponential backoff and jitter, while the service keeps serving and the rows wait in the outbox. Now
and then the leader deletes rows published more than :data:`RETENTION` ago.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import logging
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from servicekit.background import in_background
from servicekit.backoff import Backoff
from servicekit.kafka import CLOSE_SECONDS, Message, Producer
from servicekit.outbox import Connection, Outbox

log = logging.getLogger("flock.relay")

# Published rows are kept this long (for looking into incidents), then deleted.
RETENTION = datetime.timedelta(days=7)
HOUSEKEEPING_SECONDS = 3600.0
_DELETE_CHUNK = 10_000

# An asyncpg record (asyncpg ships no type hints).
Row = Any


class _Statements:
    """The relay's SQL for one outbox table."""

    def __init__(self, table: str) -> None:
        # ``table`` is a checked identifier (see Outbox).
        self.unpublished = (
            f"SELECT id, topic, key, event_type, payload::text AS payload FROM {table}"  # noqa: S608
            " WHERE published_at IS NULL ORDER BY id LIMIT $1"
        )
        self.mark = f"UPDATE {table} SET published_at = now() WHERE id = ANY($1::bigint[])"  # noqa: S608
        self.delete_published = (
            f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table}"  # noqa: S608
            " WHERE published_at < now() - $1::interval ORDER BY published_at LIMIT $2)"
        )


def _message(row: Row) -> Message:
    return Message(
        topic=row["topic"],
        key=row["key"].encode(),
        value=row["payload"].encode(),
        headers=(("event_type", row["event_type"].encode()),),
    )


async def delete_published(
    connection: Connection, outbox: Outbox, older_than: datetime.timedelta = RETENTION
) -> int:
    """Delete rows published more than ``older_than`` ago, in chunks; return how many went."""
    statement = _Statements(outbox.table).delete_published
    deleted = 0
    while True:
        status = await connection.execute(statement, older_than, _DELETE_CHUNK)
        count = int(status.split()[-1])  # "DELETE n"
        deleted += count
        if count < _DELETE_CHUNK:
            return deleted


class Relay:
    """The relay of one process: follows while another leads, leads when the lock is free."""

    def __init__(
        self, outbox: Outbox, *, db_url: str, bootstrap: str, batch: int, poll_seconds: float
    ) -> None:
        self._outbox = outbox
        self._sql = _Statements(outbox.table)
        self._db_url = db_url
        self._bootstrap = bootstrap
        self._batch = batch
        self._poll = poll_seconds
        self._wake = asyncio.Event()
        self._housekept_at = -HOUSEKEEPING_SECONDS
        # How the relay's connection shows in pg_stat_activity: which process holds the lock.
        self._application_name = f"{outbox.client_id}/{os.getpid()}"

    async def run(self) -> None:
        """Relay until cancelled. Nothing escapes but the cancellation: a lost database connection
        drops the lead (the lock goes with the connection), and the relay connects again."""
        backoff = Backoff()
        while True:
            connection = None
            try:
                connection = await asyncpg.connect(
                    self._db_url, server_settings={"application_name": self._application_name}
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
        while not await connection.fetchval("SELECT pg_try_advisory_lock($1)", self._outbox.lock_key):
            backoff.reset()
            await asyncio.sleep(self._poll)
        backoff.reset()
        log.info("outbox relay: leading, publishing %s to %s", self._outbox.table, self._bootstrap)
        await connection.add_listener(self._outbox.channel, self._notified)
        producer = Producer(self._bootstrap, client_id=self._outbox.client_id)
        try:
            await self._lead(connection, producer)
        finally:
            await producer.close()

    def _notified(self, *_: object) -> None:
        self._wake.set()

    async def _lead(self, connection: Connection, producer: Producer) -> None:
        backoff = Backoff()
        while True:
            self._wake.clear()
            if time.monotonic() - self._housekept_at >= HOUSEKEEPING_SECONDS:
                if deleted := await delete_published(connection, self._outbox):
                    log.info("outbox relay: deleted %d rows published over %s ago", deleted, RETENTION)
                self._housekept_at = time.monotonic()
            rows = await connection.fetch(self._sql.unpublished, self._batch)
            if rows:
                if not await self._publish(connection, producer, rows, backoff):
                    continue
                if len(rows) == self._batch:
                    continue  # more are waiting
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll)

    async def _publish(
        self, connection: Connection, producer: Producer, rows: list[Row], backoff: Backoff
    ) -> bool:
        """Publish ``rows`` and mark those acknowledged; False (after a backoff) if any were not."""
        acknowledged: list[int] = []
        try:
            await producer.send_in_order([_message(row) for row in rows], acknowledged)
        except Exception as error:  # noqa: BLE001 - whatever the broker did, retry
            failure: Exception | None = error
        else:
            failure = None
        if acknowledged:
            await connection.execute(self._sql.mark, [rows[position]["id"] for position in acknowledged])
        if failure is None:
            backoff.reset()
            return True
        delay = backoff.next()
        log.warning(
            "outbox relay: %d of %d events not published (%r); again in %.2f s",
            len(rows) - len(acknowledged),
            len(rows),
            failure,
            delay,
        )
        # A fresh producer for the next attempt: while the broker is away, nothing reconnects (and
        # logs) more often than this backoff.
        await producer.close()
        await asyncio.sleep(delay)
        return False


async def _close(connection: Connection) -> None:
    """Close the relay's connection (which releases the lock), or drop it if the server is gone."""
    try:
        await asyncio.wait_for(connection.close(), CLOSE_SECONDS)
    except Exception:  # noqa: BLE001 - the socket goes either way, and with it the lock
        connection.terminate()


@asynccontextmanager
async def running(
    outbox: Outbox, *, db_url: str, bootstrap: str, batch: int, poll_seconds: float
) -> AsyncIterator[None]:
    """The relay, in the background for the duration of the block; none when ``bootstrap`` is empty
    (events then wait in the outbox). On exit the relay stops: a round in flight is abandoned unmarked
    (its rows go again later), the producer closes and the lock is released."""
    if not bootstrap:
        log.warning("FLOCK_KAFKA_BOOTSTRAP is empty: the outbox relay is off, events wait in the outbox")
        yield
        return
    relay = Relay(outbox, db_url=db_url, bootstrap=bootstrap, batch=batch, poll_seconds=poll_seconds)
    async with in_background(relay.run(), f"outbox-relay-{outbox.table}"):
        yield
