"""What each event adds to each table: Kafka records decoded into events, and events into rows.
Post events and views add to the counters; an account's status change adds a row to
``account_states`` (and counts nowhere).

Pure functions on plain values; :mod:`stats.ingest` decides which events go into which table and
writes them.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple, Protocol

import msgspec

from idl.flock.events.v1 import events

log = logging.getLogger("flock.stats")

UTC = datetime.UTC
EPOCH_HOUR = datetime.datetime(1970, 1, 1, tzinfo=UTC)
EPOCH_DAY = datetime.date(1970, 1, 1)
NO_AUTHOR = uuid.UUID(int=0)
# The post_id of an account event in `events`.
NO_POST = uuid.UUID(int=0)
# Names the rows that hold a partition's mark (see stats.ingest): uuid5(this, "topic/partition").
MARK_NAMESPACE = uuid.UUID("6f1c2bb8-0d3e-4d5e-9a57-3b1f5e2c7a10")

Coordinates = tuple[str, int, int]  # topic, partition, offset
Partition = tuple[str, int]
Mark = tuple[int, int]  # (epoch, offset): offsets restart at 0 when a topic is made anew
NO_MARK: Mark = (0, -1)


class Message(Protocol):
    """A Kafka record as the consumer hands it over (aiokafka's ``ConsumerRecord``)."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def value(self) -> bytes | None: ...


class Fact(NamedTuple):
    """What an event adds to the counters, worked out once per event."""

    post_id: uuid.UUID
    author_id: uuid.UUID
    hour: datetime.datetime  # UTC
    day: datetime.date  # UTC
    likes: int
    views: int
    comments: int
    deleted: int

    @property
    def counts(self) -> bool:
        """Whether it changes likes, views or comments."""
        return bool(self.likes or self.views or self.comments)


# (likes, views, comments, deleted) by event type; other events change none of them.
_DELTAS: dict[type, tuple[int, int, int, int]] = {
    events.PostLiked: (1, 0, 0, 0),
    events.PostUnliked: (-1, 0, 0, 0),
    events.PostViewed: (0, 1, 0, 0),
    events.CommentAdded: (0, 0, 1, 0),
    events.CommentDeleted: (0, 0, -1, 0),
    events.PostDeleted: (0, 0, 0, 1),
}


@functools.lru_cache(maxsize=4096)
def _hour(hours: int) -> datetime.datetime:
    return EPOCH_HOUR + datetime.timedelta(hours=hours)


@functools.lru_cache(maxsize=1024)
def _day(days: int) -> datetime.date:
    return EPOCH_DAY + datetime.timedelta(days=days)


def fact(event: events.Event) -> Fact | None:
    """What ``event`` adds to the counters, and under which hour and day; None for an account event,
    which adds nothing to them."""
    if isinstance(event, events.AccountStatusChanged):
        return None
    # Whole hours since 1970 (UTC) by arithmetic: a batch has few distinct hours, each made once.
    hours = int(event.occurred_at.timestamp() // 3600)
    likes, views, comments, deleted = _DELTAS.get(type(event), (0, 0, 0, 0))
    return Fact(
        event.post_id, event.post_author_id, _hour(hours), _day(hours // 24), likes, views, comments, deleted
    )


class Record(NamedTuple):
    """A decoded event, where it was read, and what it adds to the counters (None: nothing)."""

    topic: str
    partition: int
    offset: int
    event: events.Event
    fact: Fact | None

    @property
    def where(self) -> Coordinates:
        return (self.topic, self.partition, self.offset)

    @property
    def source(self) -> Partition:
        return (self.topic, self.partition)


def decode(messages: Iterable[Message]) -> list[Record]:
    """The records whose value is an event; the others are logged and left out."""
    records = []
    for message in messages:
        try:
            event = events.decode(message.value or b"")
            if isinstance(event, events.AccountStatusChanged) and not 0 <= event.version < 2**63:
                # It would fail the insert (an Int64), and so block the partition for good.
                raise msgspec.ValidationError(f"version out of range: {event.version}")
        except (msgspec.ValidationError, msgspec.DecodeError) as error:
            log.warning(
                "skipping a message that is not an event (%s/%d at offset %d): %s",
                message.topic,
                message.partition,
                message.offset,
                error,
            )
            continue
        records.append(Record(message.topic, message.partition, message.offset, event, fact(event)))
    return records


EVENT_COLUMNS = (
    "event_id",
    "type",
    "occurred_at",
    "post_id",
    "author_id",
    "actor_id",
    "viewer_key",
    "comment_id",
    "kafka_topic",
    "kafka_partition",
    "kafka_offset",
)


def _subject(event: events.Event) -> tuple[uuid.UUID, uuid.UUID]:
    """The ``post_id`` and ``author_id`` of an event in ``events``: for an account event, no post and
    the account."""
    if isinstance(event, events.AccountStatusChanged):
        return NO_POST, event.account_id
    return event.post_id, event.post_author_id


def event_columns(records: Sequence[Record]) -> list[list[Any]]:
    """The ``events`` table's columns for ``records``."""
    rows = [
        (
            record.event.event_id,
            events.event_type(record.event),
            record.event.occurred_at,
            *_subject(record.event),
            record.event.actor_id,
            getattr(record.event, "viewer_key", ""),
            getattr(record.event, "comment_id", None),
            record.topic,
            record.partition,
            record.offset,
        )
        for record in records
    ]
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[] for _ in EVENT_COLUMNS]


# Every counter table has these after its key (see stats/schema/0001_events_and_counters.sql).
VALUE_COLUMNS = ("author_id", "likes", "views", "comments", "deleted", "mark")


@dataclasses.dataclass(frozen=True)
class CounterTable:
    """A counter table: its key columns and, for an event, the key it counts under (None: not here)."""

    name: str
    key_columns: tuple[str, ...]
    key: Callable[[Fact], tuple[Any, ...] | None]
    # The key of a mark row, from its id; and that key's other columns as SQL, to find it.
    mark_key: Callable[[uuid.UUID], tuple[Any, ...]]
    mark_filter: str

    @property
    def columns(self) -> tuple[str, ...]:
        return (*self.key_columns, *VALUE_COLUMNS)


COUNTER_TABLES = (
    CounterTable(
        "post_totals",
        ("post_id",),
        key=lambda fact: (fact.post_id,),
        mark_key=lambda mark_id: (mark_id,),
        mark_filter="1",
    ),
    CounterTable(
        "post_hours",
        ("hour", "post_id"),
        key=lambda fact: (fact.hour, fact.post_id) if fact.counts else None,
        mark_key=lambda mark_id: (EPOCH_HOUR, mark_id),
        mark_filter="hour = toDateTime(0, 'UTC')",
    ),
    CounterTable(
        "post_days",
        ("day", "post_id"),
        key=lambda fact: (fact.day, fact.post_id) if fact.counts else None,
        mark_key=lambda mark_id: (EPOCH_DAY, mark_id),
        mark_filter="day = toDate(0)",
    ),
)


def mark_id(source: Partition) -> uuid.UUID:
    """The key of the rows that hold the mark of partition ``source``."""
    return uuid.uuid5(MARK_NAMESPACE, f"{source[0]}/{source[1]}")


def counter_columns(
    table: CounterTable, records: Iterable[Record], marks: dict[Partition, Mark]
) -> list[list[Any]]:
    """``table``'s columns: one row per key the records count under, summed, and one per mark."""
    totals: dict[tuple[Any, ...], list[Any]] = {}
    for record in records:
        fact = record.fact
        if fact is None:
            continue
        key = table.key(fact)
        if key is None:
            continue
        row = totals.get(key)
        if row is None:
            totals[key] = [fact.author_id, fact.likes, fact.views, fact.comments, fact.deleted, NO_MARK]
        else:
            row[1] += fact.likes
            row[2] += fact.views
            row[3] += fact.comments
            row[4] |= fact.deleted
    rows = [(*key, *values) for key, values in totals.items()]
    for source, mark in marks.items():
        rows.append((*table.mark_key(mark_id(source)), NO_AUTHOR, 0, 0, 0, 0, mark))
    return [list(column) for column in zip(*rows, strict=True)]


VIEWER_COLUMNS = ("post_id", "day", "viewer_key")


def viewer_columns(records: Iterable[Record]) -> list[list[Any]]:
    """The ``viewers`` table's columns: each (post, day, viewer) of the views once."""
    seen = {
        (record.fact.post_id, record.fact.day, record.event.viewer_key)
        for record in records
        if isinstance(record.event, events.PostViewed) and record.fact is not None
    }
    return [list(column) for column in zip(*seen, strict=True)] if seen else [[], [], []]


ACCOUNT_COLUMNS = ("account_id", "version", "status", "hidden", "hidden_until", "event_id", "occurred_at")


def account_columns(records: Iterable[Record]) -> list[list[Any]]:
    """The ``account_states`` table's columns: a row per account status change, as it came (the table
    keeps the highest version of each account)."""
    rows = [
        (
            event.account_id,
            event.version,
            event.status,
            event.hidden,
            event.hidden_until,
            event.event_id,
            event.occurred_at,
        )
        for event in (record.event for record in records)
        if isinstance(event, events.AccountStatusChanged)
    ]
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[] for _ in ACCOUNT_COLUMNS]
