"""Test data for the stats service: events built with the contract's own classes, published straight
to the broker, and its gRPC API in a few words per call."""

from __future__ import annotations

import asyncio
import datetime
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from aiokafka import AIOKafkaProducer

from idl.flock.events.v1 import events
from idl.flock.stats.v1 import stats_pb2 as pb
from idl.flock.stats.v1 import stats_pb2_grpc

T = TypeVar("T")
E = TypeVar("E", bound=events.PostEventBase)


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class Post:
    """One post's events, made to order: ``post.liked(fan)``, ``post.viewed("key")``… Each call makes a
    new event (a new id), at ``at`` (default: now)."""

    def __init__(self, author: uuid.UUID | None = None) -> None:
        self.id = uuid.uuid4()
        self.author = author or uuid.uuid4()

    def _make(self, kind: type[E], actor: uuid.UUID | None, at: datetime.datetime | None, **extra: Any) -> E:
        return kind(
            event_id=uuid.uuid4(),
            occurred_at=at or utc_now(),
            actor_id=actor or self.author,
            post_id=self.id,
            post_author_id=self.author,
            **extra,
        )

    def created(self, at: datetime.datetime | None = None) -> events.PostCreated:
        return self._make(events.PostCreated, None, at)

    def deleted(self, at: datetime.datetime | None = None) -> events.PostDeleted:
        return self._make(events.PostDeleted, None, at)

    def liked(self, fan: uuid.UUID, at: datetime.datetime | None = None) -> events.PostLiked:
        return self._make(events.PostLiked, fan, at)

    def unliked(self, fan: uuid.UUID, at: datetime.datetime | None = None) -> events.PostUnliked:
        return self._make(events.PostUnliked, fan, at)

    def commented(
        self, by: uuid.UUID, at: datetime.datetime | None = None, reply_to: uuid.UUID | None = None
    ) -> events.CommentAdded:
        return self._make(events.CommentAdded, by, at, comment_id=uuid.uuid4(), parent_id=reply_to)

    def comment_deleted(self, comment: events.CommentAdded) -> events.CommentDeleted:
        return self._make(events.CommentDeleted, self.author, None, comment_id=comment.comment_id)

    def viewed(
        self, viewer_key: str, at: datetime.datetime | None = None, reader: uuid.UUID | None = None
    ) -> events.PostViewed:
        return events.PostViewed(
            event_id=uuid.uuid4(),
            occurred_at=at or utc_now(),
            post_id=self.id,
            post_author_id=self.author,
            actor_id=reader,
            viewer_key=viewer_key,
        )


class Account:
    """One account's status changes, made to order: ``account.suspended()``, ``account.active()``…
    Each call makes a new event (a new id), with the next version unless ``version`` is given."""

    def __init__(self, account_id: uuid.UUID | None = None) -> None:
        self.id = account_id or uuid.uuid4()
        self.version = 0

    def changed(
        self,
        status: events.AccountStatus,
        hidden: bool,
        until: datetime.datetime | None = None,
        version: int | None = None,
    ) -> events.AccountStatusChanged:
        if version is None:
            self.version += 1
            version = self.version
        return events.AccountStatusChanged(
            event_id=uuid.uuid4(),
            occurred_at=utc_now(),
            account_id=self.id,
            version=version,
            status=status,
            hidden=hidden,
            hidden_until=until,
        )

    def suspended(
        self, until: datetime.datetime | None = None, version: int | None = None
    ) -> events.AccountStatusChanged:
        return self.changed("suspended", True, until, version)

    def active(self, version: int | None = None) -> events.AccountStatusChanged:
        return self.changed("active", False, None, version)

    def deleted(self) -> events.AccountStatusChanged:
        return self.changed("deleted", True)


def topic(event: events.Event) -> str:
    if isinstance(event, events.AccountStatusChanged):
        return events.ACCOUNTS_TOPIC
    return events.VIEWS_TOPIC if isinstance(event, events.PostViewed) else events.POSTS_TOPIC


def key(event: events.Event) -> uuid.UUID:
    """What the services key an event by: the account for an account's status, else the post."""
    return event.account_id if isinstance(event, events.AccountStatusChanged) else event.post_id


Offsets = dict[tuple[str, int], int]


async def _publish(bootstrap: str, messages: Sequence[tuple[str, bytes, bytes]]) -> Offsets:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, max_batch_size=512 * 1024)
    await producer.start()
    try:
        sent = [await producer.send(name, value, key=key) for name, key, value in messages]
        written = await asyncio.gather(*sent)
    finally:
        await producer.stop()
    last: Offsets = {}
    for where in written:
        source = (where.topic, where.partition)
        last[source] = max(last.get(source, -1), where.offset)
    return last


def publish(bootstrap: str, batch: Iterable[events.Event], under: uuid.UUID | None = None) -> Offsets:
    """Publish events as the services do: on their topic, keyed by the post id (an account's status
    by the account id), JSON; return the offset of the last one on each partition. With ``under``,
    every event is keyed by it instead, so that those of one topic land on one partition, in order."""
    messages = [
        (topic(event), str(key(event) if under is None else under).encode(), events.encode(event))
        for event in batch
    ]
    return asyncio.run(_publish(bootstrap, messages))


def publish_raw(bootstrap: str, name: str, key: uuid.UUID, value: bytes) -> None:
    """Publish any bytes, as a faulty producer might."""
    asyncio.run(_publish(bootstrap, [(name, str(key).encode(), value)]))


def eventually(read: Callable[[], T], expected: T, timeout: float = 15.0) -> T:
    """Call ``read`` until it returns ``expected`` (counts lag the events a little); fail with the last
    value if it never does."""
    deadline = time.monotonic() + timeout
    while (value := read()) != expected:
        assert time.monotonic() < deadline, f"still {value!r}, expected {expected!r}"
        time.sleep(0.05)
    return value


Counts = tuple[int, int, int, int]  # likes, views, unique viewers, comments


class StatsApi:
    """The stats service in a few words per call; each call waits at most 10 s."""

    TIMEOUT = 10.0

    def __init__(self, stub: stats_pb2_grpc.StatsServiceStub) -> None:
        self.stub = stub

    def stats(self, *posts: Post | uuid.UUID | str) -> list[pb.PostStats]:
        ids = [str(post.id if isinstance(post, Post) else post) for post in posts]
        return list(self.stub.GetPostStats(pb.GetPostStatsRequest(post_ids=ids), timeout=self.TIMEOUT).stats)

    def counts(self, post: Post) -> Counts:
        (found,) = self.stats(post)
        return (found.likes, found.views, found.unique_viewers, found.comments)

    def top_posts(
        self, metric: pb.Metric.ValueType, period: pb.Period.ValueType, limit: int = 100
    ) -> list[tuple[str, str, int]]:
        request = pb.TopPostsRequest(metric=metric, period=period, limit=limit)
        reply = self.stub.TopPosts(request, timeout=self.TIMEOUT)
        return [(post.post_id, post.author_id, post.value) for post in reply.posts]

    def top_authors(
        self, metric: pb.Metric.ValueType, period: pb.Period.ValueType, limit: int = 100
    ) -> list[tuple[str, int]]:
        request = pb.TopAuthorsRequest(metric=metric, period=period, limit=limit)
        reply = self.stub.TopAuthors(request, timeout=self.TIMEOUT)
        return [(author.author_id, author.value) for author in reply.authors]

    def activity(self, first: datetime.date, last: datetime.date, **subject: str) -> list[tuple[str, Counts]]:
        request = pb.ActivityRequest(from_date=first.isoformat(), to_date=last.isoformat(), **subject)
        reply = self.stub.Activity(request, timeout=self.TIMEOUT)
        return [(day.date, (day.likes, day.views, day.unique_viewers, day.comments)) for day in reply.days]
