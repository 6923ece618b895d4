"""A stats process killed (SIGKILL) in the middle of a burst loses nothing and counts nothing twice
once it runs again on the same data; it commits offsets only for what ClickHouse has."""

from __future__ import annotations

import asyncio
import datetime
import signal
import threading
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

import grpc
from aiokafka import AIOKafkaConsumer, TopicPartition

from idl.flock.events.v1 import events
from idl.flock.stats.v1 import stats_pb2_grpc
from tests.conftest import Postgres, service_process, start_process, system_environment
from tests.system.stats.conftest import address
from tests.system.stats.factories import Counts, Offsets, Post, StatsApi, publish, utc_now

POSTS = 7_200  # x 7 events: a burst of 50,400
EACH: Counts = (1, 3, 2, 1)
# Long ago: the burst stays out of the day and week rankings other tests look at, and each of its
# posts (and authors) counts too little to reach theirs.
LONG_AGO = utc_now() - datetime.timedelta(days=400)


def burst() -> tuple[list[Post], list[events.Event]]:
    posts: list[Post] = []
    happened: list[events.Event] = []
    for _ in range(POSTS):
        post, one, two = Post(), uuid.uuid4(), uuid.uuid4()
        posts.append(post)
        happened += [
            post.liked(one, LONG_AGO),
            post.liked(two, LONG_AGO),
            post.unliked(one, LONG_AGO),
            post.viewed("k1", LONG_AGO),
            post.viewed("k2", LONG_AGO),
            post.viewed("k1", LONG_AGO),
            post.commented(two, LONG_AGO),
        ]
    return posts, happened


def counted(api: StatsApi, posts: list[Post]) -> list[Counts]:
    found = []
    for start in range(0, len(posts), 100):
        found += [
            (s.likes, s.views, s.unique_viewers, s.comments) for s in api.stats(*posts[start : start + 100])
        ]
    return found


def wait_until_exact(api: StatsApi, posts: list[Post], sample: list[Post], timeout: float = 30.0) -> None:
    """Wait until a sample is counted in full (cheap to ask), then until every post is."""
    deadline = time.monotonic() + timeout
    for subset in (sample, posts):
        while (now := counted(api, subset)) != [EACH] * len(subset):
            wrong = sum(1 for counts in now if counts != EACH)
            assert time.monotonic() < deadline, f"{wrong} posts still miscounted, e.g. {set(now) - {EACH}}"
            time.sleep(0.1)


def committed(
    bootstrap: str, group: str, partitions: Iterable[tuple[str, int]]
) -> dict[tuple[str, int], int]:
    """The group's committed offset of each partition (-1: none)."""

    async def read() -> dict[tuple[str, int], int]:
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
        await consumer.start()
        try:
            return {
                (topic, number): int(await consumer.committed(TopicPartition(topic, number)) or -1)
                for topic, number in partitions
            }
        finally:
            await consumer.stop()

    return asyncio.run(read())


def test_a_process_killed_mid_burst_loses_nothing_and_counts_nothing_twice(
    postgres: Postgres, broker: str, tmp_path: Path
) -> None:
    group = f"stats-crash-{uuid.uuid4().hex[:8]}"
    env = system_environment(
        postgres, broker, FLOCK_STATS_CONSUMER_GROUP=group, FLOCK_STATS_SESSION_TIMEOUT_MS="2000"
    )
    process = service_process(env, "stats")
    running = start_process(process, tmp_path)
    posts, happened = burst()
    sample = posts[:: POSTS // 50]
    published: list[Offsets] = []
    publisher = threading.Thread(target=lambda: published.append(publish(broker, happened)))
    with grpc.insecure_channel(address(running)) as channel:
        api = StatsApi(stats_pb2_grpc.StatsServiceStub(channel))
        publisher.start()
        deadline = time.monotonic() + 30
        while not any(counts != (0, 0, 0, 0) for counts in counted(api, sample)):
            assert time.monotonic() < deadline, "nothing of the burst was counted"
            time.sleep(0.01)
    running.child.send_signal(signal.SIGKILL)
    running.child.wait(10)
    publisher.join(60)
    (last,) = published
    # The next offset to read, per partition: past the burst's last record once all of it is in.
    ends = {source: offset + 1 for source, offset in last.items()}
    assert committed(broker, group, ends) != ends, "the burst was all in before the kill: nothing was tested"

    again = start_process(process, tmp_path)  # `python -m stats setup` first, on the same data
    try:
        with grpc.insecure_channel(address(again)) as channel:
            api = StatsApi(stats_pb2_grpc.StatsServiceStub(channel))
            wait_until_exact(api, posts, sample)
            deadline = time.monotonic() + 15
            while any(now < ends[source] for source, now in committed(broker, group, ends).items()):
                assert time.monotonic() < deadline, "the offsets of what ClickHouse has were never committed"
                time.sleep(0.2)
            assert counted(api, sample) == [EACH] * len(sample)
    finally:
        again.child.send_signal(signal.SIGTERM)
        assert again.child.wait(15) == 0
