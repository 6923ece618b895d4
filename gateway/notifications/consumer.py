"""The notifier's consumer: reads the posts, follows and relationships topics in its own consumer
group (``FLOCK_NOTIFIER_GROUP``) and hands each batch to the notifications
(:func:`gateway.notifications.notifier.apply`) and to the mail about new posts
(:class:`gateway.mail.new_posts.NewPostMail`), in one transaction per batch.

Offsets are committed only after the batch's transaction has committed: a crash in between reads the
batch again, and every event in it finds its id in ``notifier_events`` and changes nothing. A batch
that fails (the database away) is tried again, with backoff, until it goes through.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import msgspec
from faststream.kafka.message import KafkaMessage

from gateway.mail.new_posts import NewPostMail
from gateway.notifications import notifier
from gateway.notifications.notifier import NotifierInput
from gateway.settings import GatewaySettings
from idl.flock.events.v1 import events
from idl.flock.events.v1.events import FollowChanged, PostCreated, RelationshipChanged
from servicekit import kafka
from servicekit.backoff import Backoff
from servicekit.database import Database

log = logging.getLogger("flock.notifier")

_DECODERS: dict[str, msgspec.json.Decoder[NotifierInput]] = {
    events.POSTS_TOPIC: msgspec.json.Decoder(events.Event),
    events.FOLLOWS_TOPIC: msgspec.json.Decoder(FollowChanged),
    events.RELATIONSHIPS_TOPIC: msgspec.json.Decoder(RelationshipChanged),
}
TOPICS = tuple(_DECODERS)


class NotifierConsumer:
    """Applies the events it reads until stopped."""

    def __init__(self, settings: GatewaySettings, database: Database, new_posts: NewPostMail) -> None:
        self._database = database
        self._new_posts = new_posts
        self.subscriber = kafka.BatchConsumer(
            settings.kafka_bootstrap,
            TOPICS,
            self._handle,
            client_id="flock-notifier",
            group_id=settings.notifier_group,
            max_records=500,
            batch_timeout_ms=50,
            session_timeout_ms=10_000,
            graceful_timeout=5.0,
            logger=logging.getLogger("flock.notifier.kafka"),
        )

    async def _handle(self, message: KafkaMessage) -> None:
        decoded: list[NotifierInput] = []
        offsets = {}
        for record in kafka.records_of(message):
            offsets[(record.topic, record.partition)] = record.offset + 1
            try:
                decoded.append(_DECODERS[record.topic].decode(record.value))
            except (msgspec.DecodeError, msgspec.ValidationError):
                log.warning("skipping a record that is no event at %s/%d", record.topic, record.offset)
        await self.apply(decoded)
        await kafka.commit(message, offsets)

    async def apply(self, batch: list[NotifierInput]) -> None:
        """Apply ``batch`` in one transaction, again and again until the database takes it."""
        backoff = Backoff()
        while True:
            try:
                await self._apply_once(batch)
                return
            except Exception as error:  # noqa: BLE001 - the database is back sooner or later
                delay = backoff.next()
                log.warning("applying %d events failed, again in %.1f s: %r", len(batch), delay, error)
                await asyncio.sleep(delay)

    async def _apply_once(self, batch: list[NotifierInput]) -> None:
        # New posts are looked up (their text, for the mail) before the transaction opens.
        created = [event for event in batch if isinstance(event, PostCreated)]
        excerpts = await self._new_posts.excerpts(created)
        async with self._database.transaction() as connection:
            for event in batch:
                if await notifier.apply(connection, event):
                    await self._new_posts.apply(connection, event, excerpts)


@asynccontextmanager
async def running(
    settings: GatewaySettings, database: Database, new_posts: NewPostMail
) -> AsyncIterator[None]:
    """The consumer in the background for the block (none without a broker); it connects, and
    connects again, until the broker answers."""
    if not settings.kafka_bootstrap:
        log.warning("FLOCK_KAFKA_BOOTSTRAP is empty: the notifier reads no events")
        yield
        return
    consumer = NotifierConsumer(settings, database, new_posts)
    async with kafka.consuming(consumer.subscriber, name="the notifier's consumer", log=log):
        yield
