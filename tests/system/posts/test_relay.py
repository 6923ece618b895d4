"""The outbox relay: what the posts service writes reaches the broker, in order per post, and is marked
published; through a broker outage, and with several posts processes on one database (one publishes;
when it dies another takes over, nothing lost)."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition  # type: ignore[import-untyped,unused-ignore]

from idl.flock.events.v1 import events
from idl.flock.posts.v1 import posts_pb2_grpc
from scripts import devstack
from tests.conftest import Postgres, RunningProcess, free_port, sql, start_process, system_environment
from tests.system.posts.conftest import posts_process
from tests.system.posts.factories import PostsApi, caller


@dataclasses.dataclass(frozen=True)
class Record:
    """One message of the posts topic."""

    partition: int
    offset: int
    key: str
    value: bytes
    headers: dict[str, bytes]


def read_topic(bootstrap: str, topic: str = events.POSTS_TOPIC) -> list[Record]:
    """Every message on ``topic`` right now, from the beginning, partition by partition."""

    async def read() -> list[Record]:
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        await consumer.start()
        try:
            partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            ends = await consumer.end_offsets(partitions)
            records: list[Record] = []

            async def behind() -> bool:
                return any([await consumer.position(tp) < end for tp, end in ends.items()])

            while await behind():
                for messages in (await consumer.getmany(timeout_ms=1000)).values():
                    records.extend(
                        Record(
                            message.partition,
                            message.offset,
                            message.key.decode(),
                            message.value,
                            dict(message.headers),
                        )
                        for message in messages
                    )
            return records
        finally:
            await consumer.stop()

    return asyncio.run(read())


def published(records: list[Record], post_ids: set[str]) -> dict[str, list[events.Event]]:
    """The posts' events as the broker has them, in order (one post's events share a partition)."""
    by_post: dict[str, list[events.Event]] = {post_id: [] for post_id in post_ids}
    for record in sorted(records, key=lambda record: (record.partition, record.offset)):
        if record.key in post_ids:
            by_post[record.key].append(events.decode(record.value))
    return by_post


def written(db_url: str, post_ids: set[str]) -> dict[str, list[uuid.UUID]]:
    """The posts' event ids as the outbox has them, in order."""
    rows = sql(db_url, "SELECT key, event_id FROM outbox WHERE key = ANY($1) ORDER BY id", list(post_ids))
    by_post: dict[str, list[uuid.UUID]] = {post_id: [] for post_id in post_ids}
    for row in rows:
        by_post[row["key"]].append(row["event_id"])
    return by_post


def unpublished(db_url: str) -> int:
    return int(sql(db_url, "SELECT count(*) AS n FROM outbox WHERE published_at IS NULL")[0]["n"])


def eventually(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.05)


def activity(api: PostsApi, posts: int = 3) -> set[str]:
    """A few posts with interleaved likes, unlikes and comments; returns their ids."""
    made = [api.post() for _ in range(posts)]
    fans = [caller() for _ in range(3)]
    for fan in fans:
        for post in made:
            api.like(fan, post)
    for post in made:
        api.comment(fans[0], post)
        api.unlike(fans[1], post)
    return {post.id for post in made}


def first_occurrences(received: list[events.Event]) -> list[uuid.UUID]:
    """The event ids in order of arrival, duplicates dropped as a consumer drops them."""
    return list(dict.fromkeys(event.event_id for event in received))


def test_changes_reach_the_broker_in_order_per_post_and_are_marked_published(
    api: PostsApi, db_url: str, broker: str
) -> None:
    post_ids = activity(api)
    eventually(lambda: unpublished(db_url) == 0)

    records = read_topic(broker)
    outbox = written(db_url, post_ids)
    by_post = published(records, post_ids)
    assert {post_id: [event.event_id for event in got] for post_id, got in by_post.items()} == outbox
    assert all(len(ids) == 6 for ids in outbox.values())  # created, 3 likes, a comment, an unlike
    for record in records:
        if record.key in post_ids:
            event = events.decode(record.value)
            assert record.headers == {"event_type": events.event_type(event).encode()}
            assert isinstance(event, events.PostEventBase)
            assert str(event.post_id) == record.key
    rows = sql(db_url, "SELECT occurred_at, published_at FROM outbox WHERE key = ANY($1)", list(post_ids))
    assert all(row["occurred_at"] <= row["published_at"] for row in rows)


def test_a_change_is_published_within_a_second(api: PostsApi, db_url: str, broker: str) -> None:
    post, fan = api.post(), caller()
    eventually(lambda: unpublished(db_url) == 0)  # the topic exists, nothing else is queued

    async def like_and_wait() -> float:
        consumer = AIOKafkaConsumer(bootstrap_servers=broker, enable_auto_commit=False)
        await consumer.start()
        try:
            topic = events.POSTS_TOPIC
            partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
            consumer.assign(partitions)
            await consumer.seek_to_end(*partitions)
            for partition in partitions:
                await consumer.position(partition)
            started = time.monotonic()
            await asyncio.to_thread(api.like, fan, post)
            while True:
                for messages in (await consumer.getmany(timeout_ms=100)).values():
                    for message in messages:
                        event = events.decode(message.value)
                        if isinstance(event, events.PostLiked) and str(event.post_id) == post.id:
                            return time.monotonic() - started
                assert time.monotonic() - started < 5, "the like never arrived"
        finally:
            await consumer.stop()

    assert asyncio.run(like_and_wait()) < 1.0


@dataclasses.dataclass
class Instance:
    running: RunningProcess
    channel: grpc.Channel

    @property
    def api(self) -> PostsApi:
        return PostsApi(posts_pb2_grpc.PostsServiceStub(self.channel))


@pytest.fixture
def instances(tmp_path: Path) -> Iterator[Callable[[dict[str, str]], Instance]]:
    """Start posts processes (with the given environment), all stopped afterwards."""
    started: list[Instance] = []

    def start(env: dict[str, str]) -> Instance:
        running = start_process(posts_process(env), tmp_path)
        channel = grpc.insecure_channel(f"127.0.0.1:{env['FLOCK_POSTS_PORT']}")
        started.append(Instance(running, channel))
        return started[-1]

    yield start
    for instance in started:
        instance.channel.close()
        instance.running.stop()


class LateBroker:
    """An address where no broker listens until :meth:`start`."""

    def __init__(self, log: Path) -> None:
        self.address = f"127.0.0.1:{free_port()}"
        self._log = log
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._process = devstack.start_embedded_broker(self.address, self._log)

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(10)


@pytest.fixture
def late_broker(tmp_path: Path) -> Iterator[LateBroker]:
    broker = LateBroker(tmp_path / "broker.log")
    yield broker
    broker.stop()


def test_events_written_while_the_broker_is_down_arrive_in_order_once_it_is_up(
    postgres: Postgres, late_broker: LateBroker, instances: Callable[[dict[str, str]], Instance]
) -> None:
    env = system_environment(postgres, late_broker.address)
    instance = instances(env)  # starts and serves without a broker
    db_url = env["FLOCK_POSTS_DB_URL"]
    started = time.monotonic()
    post_ids = activity(instance.api)
    assert time.monotonic() - started < 5, "requests do not wait for the broker"
    time.sleep(0.5)
    assert unpublished(db_url) == 18

    late_broker.start()
    eventually(lambda: unpublished(db_url) == 0)
    by_post = published(read_topic(late_broker.address), post_ids)
    assert {post_id: first_occurrences(got) for post_id, got in by_post.items()} == written(db_url, post_ids)


def leader(db_url: str) -> str:
    """The application name of the connection holding the relay's lock on ``db_url``'s database."""
    rows = sql(
        db_url,
        """
        SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a USING (pid)
        WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database()
        """,
    )
    return str(rows[0]["application_name"]) if rows else ""


def test_two_instances_publish_each_event_once_and_the_survivor_takes_over(
    postgres: Postgres, broker: str, instances: Callable[[dict[str, str]], Instance]
) -> None:
    env = system_environment(postgres, broker)
    db_url = env["FLOCK_POSTS_DB_URL"]
    first = instances(env)
    eventually(lambda: leader(db_url) != "")
    second = instances({**env, "FLOCK_POSTS_PORT": str(free_port())})
    leading, other = (
        (first, second) if leader(db_url).endswith(f"/{first.running.child.pid}") else (second, first)
    )

    # Writes through both instances: each event once, in order.
    post_ids = activity(first.api) | activity(second.api)
    eventually(lambda: unpublished(db_url) == 0)
    by_post = published(read_topic(broker), post_ids)
    assert {post_id: [e.event_id for e in got] for post_id, got in by_post.items()} == written(
        db_url, post_ids
    )

    # The leader dies mid-stream: the other takes over; nothing is lost.
    more = {other.api.post().id for _ in range(3)}
    leading.running.child.kill()
    more |= activity(other.api)
    eventually(lambda: leader(db_url).endswith(f"/{other.running.child.pid}"))
    eventually(lambda: unpublished(db_url) == 0)
    post_ids |= more
    by_post = published(read_topic(broker), post_ids)
    assert {post_id: first_occurrences(got) for post_id, got in by_post.items()} == written(db_url, post_ids)
    copies = Counter(event.event_id for got in by_post.values() for event in got)
    print(f"duplicates after the takeover: {sum(copies.values()) - len(copies)}")


def test_the_relay_deletes_rows_published_over_a_week_ago(
    postgres: Postgres, instances: Callable[[dict[str, str]], Instance]
) -> None:
    env = system_environment(postgres)  # no broker: housekeeping does not need one
    db_url = env["FLOCK_POSTS_DB_URL"]
    for step in posts_process(env).before:
        devstack.run_step(step, env)  # the migrations, so that rows can go in before the relay starts
    now = datetime.datetime.now(datetime.UTC)
    ages = {"old published": 8, "recent published": 6, "old unpublished": 8}
    for name, days in ages.items():
        at = now - datetime.timedelta(days=days)
        sql(
            db_url,
            "INSERT INTO outbox (event_id, topic, key, event_type, payload, occurred_at, published_at)"
            " VALUES ($1, $2, $3, 'post_liked', '{}', $4, $5)",
            uuid.uuid4(),
            events.POSTS_TOPIC,
            name,
            at,
            None if name == "old unpublished" else at,
        )

    instances(env)

    def keys() -> set[str]:
        return {row["key"] for row in sql(db_url, "SELECT key FROM outbox")}

    eventually(lambda: keys() == {"recent published", "old unpublished"})
