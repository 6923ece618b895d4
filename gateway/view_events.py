"""Views, published to the broker without ever making a request wait for it.

A read of a post puts a :class:`PostViewed` event into a bounded in-memory buffer and returns at
once. A background task drains the buffer to the broker in batches through the one producer
(:class:`servicekit.kafka.Producer`: keyed by post id, acks from all in-sync replicas), and while the
broker is unreachable it keeps the batch and retries with backoff (:class:`servicekit.backoff.Backoff`).
Only a long outage that fills the buffer loses views: the oldest are dropped, counted and logged —
views are worth less than the reads that make them. State changes (likes, comments…) do not go this
way: the posts service writes them to an outbox in the same transaction, and loses none.

A restart loses none either, with a spool (:mod:`gateway.view_spool`, ``FLOCK_GATEWAY_VIEW_SPOOL_DIR``):
on a graceful stop, what the broker has not acknowledged is written to a spool file, and every
instance on that directory publishes the spool's files (at start, then every
:data:`SPOOL_SCAN_SECONDS`) before its own buffer. What a kill -9 loses is what was in memory: the
views not yet acknowledged, normally a few milliseconds' worth, during an outage every view since it
began. Making each view durable before answering would cost a read an fsync; the reasons and the
figures are in docs/operations.md.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime
import hashlib
import hmac
import logging
import uuid

from uuid_utils.compat import uuid7

from gateway.view_spool import SpooledViews, ViewSpool
from idl.flock.events.v1.events import VIEWS_TOPIC, PostViewed, encode
from servicekit.backoff import Backoff
from servicekit.kafka import Message, Producer

log = logging.getLogger("flock.gateway.views")

_BATCH = 1000
# How long the broker may take to acknowledge a batch of views before it is sent again.
_REQUEST_TIMEOUT_MS = 5000
# How often a running instance looks for spool files (left by an instance that stopped for good, say).
SPOOL_SCAN_SECONDS = 30.0


def viewer_key(user_id: uuid.UUID | None, client_address: str, secret: bytes) -> str:
    """Who counts as one viewer: the user, or for an anonymous reader a keyed hash of the address (so
    the event carries no address, and the hash cannot be reversed by trying every address)."""
    if user_id is not None:
        return f"user:{user_id}"
    digest = hmac.new(secret, client_address.encode(), hashlib.sha256).hexdigest()[:32]
    return f"anon:{digest}"


class ViewPublisher:
    """A buffered, retrying producer of :class:`PostViewed` events, spilling to ``spool`` (if given)
    what it could not publish before it stops."""

    def __init__(
        self, bootstrap: str, *, buffer_size: int, secret: bytes, spool: ViewSpool | None = None
    ) -> None:
        self._bootstrap = bootstrap
        self._buffer: collections.deque[PostViewed] = collections.deque(maxlen=buffer_size)
        self._secret = secret
        self._spool = spool
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        # Whether the last attempt to publish failed: then stopping spills at once instead of waiting.
        self._failing = False
        self.dropped = 0
        self.published = 0
        self.spilled = 0

    def record(
        self, post_id: uuid.UUID, author_id: uuid.UUID, user_id: uuid.UUID | None, client_address: str
    ) -> None:
        """Note a view; never blocks, never fails."""
        if not self._bootstrap:
            return
        if len(self._buffer) == self._buffer.maxlen:
            self.dropped += 1
            if self.dropped % 10_000 == 1:
                log.warning("view buffer full (broker unreachable?): %d views dropped so far", self.dropped)
        self._buffer.append(
            PostViewed(
                event_id=uuid7(),
                occurred_at=datetime.datetime.now(tz=datetime.UTC),
                post_id=post_id,
                post_author_id=author_id,
                actor_id=user_id,
                viewer_key=viewer_key(user_id, client_address, self._secret),
            )
        )
        self._wakeup.set()

    async def start(self) -> None:
        """Start publishing in the background (without a broker address, nothing is recorded)."""
        if self._bootstrap:
            self._task = asyncio.create_task(self._run(), name="view-publisher")

    async def stop(self, flush_seconds: float = 5.0) -> None:
        """Publish what is buffered (for at most ``flush_seconds``, and only while the broker answers),
        then stop, spilling what is left to the spool."""
        if self._task is None:
            return
        deadline = asyncio.get_running_loop().time() + flush_seconds
        # While the broker is unreachable waiting only delays the shutdown: the views go to the spool.
        while self._buffer and not self._failing and asyncio.get_running_loop().time() < deadline:
            self._wakeup.set()
            await asyncio.sleep(0.05)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        if self._buffer:
            self._spill()

    def _spill(self) -> None:
        views = list(self._buffer)
        if self._spool is None:
            log.warning("stopping with %d views unpublished (no spool directory to keep them in)", len(views))
            return
        try:
            path = self._spool.spill(views)
        except OSError as error:
            log.error("stopping with %d views unpublished: cannot write the spool: %r", len(views), error)
            return
        self._buffer.clear()
        self.spilled += len(views)
        log.info("kept %d unpublished views in %s for the next start", len(views), path)

    async def _run(self) -> None:
        producer = Producer(
            self._bootstrap, client_id="flock-gateway-views", request_timeout_ms=_REQUEST_TIMEOUT_MS
        )
        backoff = Backoff()
        loop = asyncio.get_running_loop()
        reader = _SpoolReader(self._spool) if self._spool is not None else None
        try:
            while True:
                # The spool's views are older than the buffer's: they go first.
                spooled = reader.batch(loop.time()) if reader is not None else None
                batch = spooled if spooled is not None else self._head()
                if spooled is None and not batch:
                    self._wakeup.clear()
                    timeout = reader.seconds_to_scan(loop.time()) if reader is not None else None
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wakeup.wait(), timeout)
                    continue
                try:
                    await _publish(producer, batch)
                except asyncio.CancelledError:
                    raise
                except Exception as error:  # noqa: BLE001 - any broker failure: keep the batch, retry
                    self._failing = True
                    delay = backoff.next()
                    log.warning("publishing views failed, retrying in %.1f s: %r", delay, error)
                    # A fresh producer for the next attempt (the failed one may hold half a batch).
                    await producer.close()
                    await asyncio.sleep(delay)
                    continue
                self._failing = False
                backoff.reset()
                self.published += len(batch)
                if reader is not None and spooled is not None:
                    reader.acknowledged(len(batch), loop.time())
                else:
                    self._pop(len(batch))
        finally:
            if reader is not None:
                reader.release()
            await producer.close()

    def _head(self) -> list[PostViewed]:
        """The next batch: the left end of the buffer."""
        return [self._buffer[i] for i in range(min(_BATCH, len(self._buffer)))]

    def _pop(self, count: int) -> None:
        # New views append on the right. (If the buffer overflowed meanwhile, what it discarded from
        # the left was this batch, so popping ``count`` still drops exactly as many as overflowed.)
        for _ in range(count):
            if self._buffer:
                self._buffer.popleft()


class _SpoolReader:
    """The spool file this publisher holds and how much of it the broker has acknowledged; a new claim
    once it is done, and every :data:`SPOOL_SCAN_SECONDS` while there is none."""

    def __init__(self, spool: ViewSpool) -> None:
        self._spool = spool
        self._file: SpooledViews | None = None
        self._sent = 0
        self._next_scan = 0.0

    def batch(self, now: float) -> list[PostViewed] | None:
        """The next views of the held file (claiming one if it is time to look); None without one."""
        if self._file is None and now >= self._next_scan:
            self._file, self._sent = self._spool.claim(), 0
            if self._file is None:
                self._next_scan = now + SPOOL_SCAN_SECONDS
            else:
                log.info("publishing %d spooled views from %s", len(self._file.views), self._file.path)
        if self._file is None:
            return None
        return self._file.views[self._sent : self._sent + _BATCH]

    def acknowledged(self, count: int, now: float) -> None:
        """``count`` more views of the held file reached the broker; once all have, delete it."""
        if self._file is None:
            return
        self._sent += count
        if self._sent >= len(self._file.views):
            self._file.done()
            self._file, self._next_scan = None, now  # the next file, if any, at once

    def seconds_to_scan(self, now: float) -> float:
        """How long until it is time to look for spool files again."""
        return max(0.0, self._next_scan - now)

    def release(self) -> None:
        """Let go of the held file, whole: the next start publishes it (its first views again)."""
        if self._file is not None:
            self._file.release()
            self._file = None


async def _publish(producer: Producer, batch: list[PostViewed]) -> None:
    """Send ``batch`` (pipelined) and wait until the broker has acknowledged every view of it."""
    confirmations = [
        await producer.send(Message(VIEWS_TOPIC, str(view.post_id).encode(), encode(view))) for view in batch
    ]
    await asyncio.gather(*confirmations)
