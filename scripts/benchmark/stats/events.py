"""The events the benchmark publishes, as the publishers make and send them."""

from __future__ import annotations

import asyncio
import datetime
import time
import uuid
from collections.abc import Sequence
from typing import Any, TypeVar

import uuid_utils
from aiokafka import AIOKafkaProducer

from idl.flock.events.v1 import events

Counts = tuple[int, int, int, int]  # likes, views, unique viewers, comments
Base = TypeVar("Base", bound=events.PostEventBase)
PER_POST: Counts = (20, 60, 30, 7)  # what each ingest post's 100 events add up to


def new_id() -> uuid.UUID:
    """A UUIDv7, as the publishers make them."""
    return uuid.UUID(bytes=uuid_utils.uuid7().bytes)


# What the benchmark publishes: the events of posts (no account events).
BenchEvent = events.PostEvent | events.PostViewed


def post_events(post: uuid.UUID, author: uuid.UUID, at: datetime.datetime) -> list[BenchEvent]:
    """100 events of one post, adding up to PER_POST: 25 likes and 5 taken back, 60 views by 30
    readers, 8 comments and 1 deleted, and its creation."""
    fans = [uuid.uuid4() for _ in range(25)]

    def by(kind: type[Base], actor: uuid.UUID, **extra: Any) -> Base:
        return kind(
            event_id=new_id(), occurred_at=at, actor_id=actor, post_id=post, post_author_id=author, **extra
        )

    comments = [by(events.CommentAdded, fans[n], comment_id=uuid.uuid4()) for n in range(8)]
    made: list[BenchEvent] = [by(events.PostCreated, author)]
    made += [by(events.PostLiked, fan) for fan in fans]
    made += [by(events.PostUnliked, fan) for fan in fans[:5]]
    made += [
        events.PostViewed(
            event_id=new_id(),
            occurred_at=at,
            post_id=post,
            post_author_id=author,
            viewer_key=f"reader-{n % 30}",
        )
        for n in range(60)
    ]
    made += comments
    made.append(by(events.CommentDeleted, author, comment_id=comments[0].comment_id))
    return made


def topic(event: BenchEvent) -> str:
    """The topic an event goes to: views to theirs, every other event to the posts topic."""
    return events.VIEWS_TOPIC if isinstance(event, events.PostViewed) else events.POSTS_TOPIC


def encoded(batch: Sequence[BenchEvent]) -> list[tuple[str, bytes, bytes]]:
    """(topic, key, value) of each event, as the publishers send them."""
    return [(topic(event), str(event.post_id).encode(), events.encode(event)) for event in batch]


async def publish(bootstrap: str, messages: Sequence[tuple[str, bytes, bytes]]) -> float:
    """Publish everything as fast as one producer can; return the seconds it took."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=20, max_batch_size=1024 * 1024)
    await producer.start()
    started = time.monotonic()
    try:
        pending = []
        for name, key, value in messages:
            pending.append(await producer.send(name, value, key=key))
            if len(pending) >= 50_000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return time.monotonic() - started
