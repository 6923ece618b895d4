"""Views, published to the broker without ever making a request wait for it.

A read of a post puts a :class:`PostViewed` event into a bounded in-memory buffer and returns at
once. A background task drains the buffer to the broker in batches through the one producer
(:class:`servicekit.kafka.Producer`: keyed by post id, acks from all in-sync replicas), and while the
broker is unreachable it keeps the batch and retries with backoff (:class:`servicekit.backoff.Backoff`).
Only a long outage that fills the buffer loses views: the oldest are dropped, counted and logged —
views are worth less than the reads that make them. State changes (likes, comments…) do not go this
way: the posts service writes them to an outbox in the same transaction, and loses none.
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

from idl.flock.events.v1.events import VIEWS_TOPIC, PostViewed, encode
from servicekit.backoff import Backoff
from servicekit.kafka import Message, Producer

log = logging.getLogger("flock.gateway.views")

_BATCH = 1000
# How long the broker may take to acknowledge a batch of views before it is sent again.
_REQUEST_TIMEOUT_MS = 5000


def viewer_key(user_id: uuid.UUID | None, client_address: str, secret: bytes) -> str:
    """Who counts as one viewer: the user, or for an anonymous reader a keyed hash of the address (so
    the event carries no address, and the hash cannot be reversed by trying every address)."""
    if user_id is not None:
        return f"user:{user_id}"
    digest = hmac.new(secret, client_address.encode(), hashlib.sha256).hexdigest()[:32]
    return f"anon:{digest}"


class ViewPublisher:
    """A buffered, retrying producer of :class:`PostViewed` events."""

    def __init__(self, bootstrap: str, *, buffer_size: int, secret: bytes) -> None:
        self._bootstrap = bootstrap
        self._buffer: collections.deque[PostViewed] = collections.deque(maxlen=buffer_size)
        self._secret = secret
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.dropped = 0
        self.published = 0

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
        """Publish what is buffered (for at most ``flush_seconds``), then stop."""
        if self._task is None:
            return
        deadline = asyncio.get_running_loop().time() + flush_seconds
        while self._buffer and asyncio.get_running_loop().time() < deadline:
            self._wakeup.set()
            await asyncio.sleep(0.05)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        if self._buffer:
            log.warning("stopping with %d views unpublished", len(self._buffer))

    async def _run(self) -> None:
        producer = Producer(
            self._bootstrap, client_id="flock-gateway-views", request_timeout_ms=_REQUEST_TIMEOUT_MS
        )
        backoff = Backoff()
        try:
            while True:
                if not self._buffer:
                    self._wakeup.clear()
                    await self._wakeup.wait()
                batch = [self._buffer[i] for i in range(min(_BATCH, len(self._buffer)))]
                try:
                    confirmations = [
                        await producer.send(Message(VIEWS_TOPIC, str(view.post_id).encode(), encode(view)))
                        for view in batch
                    ]
                    await asyncio.gather(*confirmations)
                except asyncio.CancelledError:
                    raise
                except Exception as error:  # noqa: BLE001 - any broker failure: keep the batch, retry
                    delay = backoff.next()
                    log.warning("publishing views failed, retrying in %.1f s: %r", delay, error)
                    # A fresh producer for the next attempt (the failed one may hold half a batch).
                    await producer.close()
                    await asyncio.sleep(delay)
                    continue
                backoff.reset()
                # The batch was the left end of the buffer; new views append on the right. (If the
                # buffer overflowed meanwhile, what it discarded from the left was this batch, so
                # popping len(batch) still drops exactly as many views as overflowed.)
                for _ in batch:
                    if self._buffer:
                        self._buffer.popleft()
                self.published += len(batch)
        finally:
            await producer.close()
