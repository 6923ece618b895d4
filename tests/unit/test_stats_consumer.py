"""The stats consumer in memory (FastStream's ``TestKafkaBroker``, a fake ClickHouse): a batch is
decoded, written, and only then committed, at the offset after its last record; a failing write is
retried until it lands; a batch that cannot be written before shutdown is left uncommitted. The same
consumer against a real broker, killed mid-ingest, is in ``tests/stats/test_crash.py``."""

from __future__ import annotations

import asyncio
import datetime
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager

import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.message import KafkaMessage

from idl.flock.events.v1 import events
from servicekit import kafka
from stats.consumer import Consumer
from stats.ingest import Written
from stats.rows import Partition, Record
from stats.settings import load_settings

SETTINGS = load_settings(
    {
        "FLOCK_STATS_CLICKHOUSE_URL": "chdb:///nowhere",
        "FLOCK_KAFKA_BOOTSTRAP": "127.0.0.1:9",
        "FLOCK_STATS_GRACE_SECONDS": "1",
    }
)


class FakeClickHouse:
    """Takes batches (after ``failures`` refusals), and remembers them in order."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.attempts = 0
        self.batches: list[tuple[list[Record], dict[Partition, int]]] = []

    async def write(self, records: Sequence[Record], last_offsets: dict[Partition, int]) -> Written:
        self.attempts += 1
        if self.failures:
            self.failures -= 1
            raise ConnectionError("ClickHouse does not answer")
        self.batches.append((list(records), dict(last_offsets)))
        return Written(len(records), 0, 0)


class Commits:
    """Stands in for :func:`servicekit.kafka.commit`: what was committed, and how many batches had been
    written by then."""

    def __init__(self, clickhouse: FakeClickHouse) -> None:
        self._clickhouse = clickhouse
        self.made: list[tuple[dict[Partition, int], int]] = []

    async def __call__(self, message: KafkaMessage, offsets: Mapping[Partition, int]) -> bool:
        assert isinstance(message, KafkaMessage)
        self.made.append((dict(offsets), len(self._clickhouse.batches)))
        return True


@asynccontextmanager
async def running(
    clickhouse: FakeClickHouse, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[Consumer, KafkaBroker, Commits]]:
    commits = Commits(clickhouse)
    monkeypatch.setattr(kafka, "commit", commits)
    consumer = Consumer(SETTINGS, clickhouse)
    async with TestKafkaBroker(consumer.subscriber.broker, connect_only=True) as broker:
        await consumer.start()
        try:
            yield consumer, broker, commits
        finally:
            await consumer.stop()


def liked() -> events.PostLiked:
    return events.PostLiked(
        event_id=uuid.uuid4(),
        occurred_at=datetime.datetime.now(datetime.UTC),
        actor_id=uuid.uuid4(),
        post_id=uuid.uuid4(),
        post_author_id=uuid.uuid4(),
    )


async def until(condition: Callable[[], bool]) -> None:
    """Wait (at most 5 s) for ``condition``, which the consumer's background task makes true."""
    async with asyncio.timeout(5):
        while not condition():  # noqa: ASYNC110 - nothing to wait on but the consumer's own state
            await asyncio.sleep(0.01)


def test_a_batch_is_written_and_then_committed_after_its_last_record(monkeypatch: pytest.MonkeyPatch) -> None:
    clickhouse = FakeClickHouse()
    event = liked()

    async def scenario() -> Commits:
        async with running(clickhouse, monkeypatch) as (consumer, broker, commits):
            await broker.publish(events.encode(event), events.POSTS_TOPIC, key=str(event.post_id).encode())
            await until(lambda: consumer.batches == 1)
        return commits

    commits = asyncio.run(scenario())
    [(records, last_offsets)] = clickhouse.batches
    assert [record.event for record in records] == [event]
    assert last_offsets == {(events.POSTS_TOPIC, 0): 0}
    # One commit, made once the batch was written: the offset after the batch's last record.
    assert commits.made == [({(events.POSTS_TOPIC, 0): 1}, 1)]


def test_an_account_status_is_decoded_written_and_committed_like_any_event(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clickhouse = FakeClickHouse()
    event = events.AccountStatusChanged(
        event_id=uuid.uuid4(),
        occurred_at=datetime.datetime.now(datetime.UTC),
        actor_id=uuid.uuid4(),
        account_id=uuid.uuid4(),
        version=3,
        status="suspended",
        hidden=True,
        hidden_until=datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1),
    )

    async def scenario() -> Commits:
        async with running(clickhouse, monkeypatch) as (consumer, broker, commits):
            await broker.publish(
                events.encode(event), events.ACCOUNTS_TOPIC, key=str(event.account_id).encode()
            )
            await until(lambda: consumer.batches == 1)
        return commits

    commits = asyncio.run(scenario())
    [(records, _)] = clickhouse.batches
    assert [(record.event, record.fact) for record in records] == [(event, None)]  # counts nowhere
    assert commits.made == [({(events.ACCOUNTS_TOPIC, 0): 1}, 1)]


def test_a_message_that_is_not_an_event_is_skipped_and_still_committed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clickhouse = FakeClickHouse()

    async def scenario() -> Commits:
        async with running(clickhouse, monkeypatch) as (consumer, broker, commits):
            await broker.publish(b"not json", events.VIEWS_TOPIC)
            await until(lambda: consumer.batches == 1)
        return commits

    commits = asyncio.run(scenario())
    assert clickhouse.batches == [([], {(events.VIEWS_TOPIC, 0): 0})]
    assert commits.made == [({(events.VIEWS_TOPIC, 0): 1}, 1)]


def test_a_failed_write_is_retried_until_it_lands_and_only_then_committed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clickhouse = FakeClickHouse(failures=2)
    event = liked()

    async def scenario() -> Commits:
        async with running(clickhouse, monkeypatch) as (consumer, broker, commits):
            await broker.publish(events.encode(event), events.POSTS_TOPIC)
            await until(lambda: consumer.batches == 1)
        return commits

    commits = asyncio.run(scenario())
    assert clickhouse.attempts == 3
    assert [record.event for record in clickhouse.batches[0][0]] == [event]
    assert commits.made == [({(events.POSTS_TOPIC, 0): 1}, 1)]


def test_a_batch_not_written_by_shutdown_is_left_uncommitted(monkeypatch: pytest.MonkeyPatch) -> None:
    clickhouse = FakeClickHouse(failures=1_000_000)

    async def scenario() -> tuple[int, Commits]:
        async with running(clickhouse, monkeypatch) as (consumer, broker, commits):
            await broker.publish(events.encode(liked()), events.POSTS_TOPIC)
            await until(lambda: clickhouse.attempts >= 1)
        return consumer.batches, commits

    batches, commits = asyncio.run(scenario())
    assert (batches, clickhouse.batches, commits.made) == (0, [], [])


def test_the_in_memory_broker_has_no_offsets_to_commit() -> None:
    # FastStream's in-memory broker hands over a consumer that keeps no offsets.
    seen: list[bool] = []

    async def handle(message: KafkaMessage) -> None:
        seen.append(await kafka.commit(message, {(events.POSTS_TOPIC, 0): 1}))

    async def scenario() -> None:
        subscriber = kafka.BatchConsumer(
            "127.0.0.1:9",
            [events.POSTS_TOPIC],
            handle,
            client_id="test",
            group_id="test",
            max_records=10,
            batch_timeout_ms=10,
            session_timeout_ms=6000,
            graceful_timeout=1,
        )
        async with TestKafkaBroker(subscriber.broker) as broker:
            await broker.publish(b"{}", events.POSTS_TOPIC)

    asyncio.run(scenario())
    assert seen == [False]
