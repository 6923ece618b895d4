"""The statistics survive failures, end to end through the REST API, on Apache Kafka (durable):
the broker stopped during likes, the stats consumer killed mid-ingest, events delivered twice. Counts
are exact once the system has recovered: nothing lost, nothing counted twice."""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from idl.flock.events.v1 import events
from scripts.kafka import KafkaServer
from tests.conftest import Postgres, RunningProcess, service_process, sql, start_process, system_environment
from tests.factories import Member, Members, Posts, api_client


@dataclasses.dataclass
class System:
    """Posts, stats and the gateway of this module's own, on the session's Apache Kafka."""

    env: dict[str, str]
    logs: Path
    processes: dict[str, RunningProcess]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.env['FLOCK_GATEWAY_PORT']}"

    def start(self, name: str) -> None:
        self.processes[name] = start_process(service_process(self.env, name), self.logs)


@pytest.fixture(scope="module")
def system(
    postgres: Postgres, kafka: KafkaServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[System]:
    env = system_environment(postgres, kafka.bootstrap)
    system = System(env, tmp_path_factory.mktemp("durability"), {})
    for name in ("stats", "posts", "gateway"):  # stats first: its set-up step creates the topics
        system.start(name)
    yield system
    for process in reversed(system.processes.values()):
        process.stop()


def stats_of(url: str, post_id: str) -> dict[str, int]:
    body = httpx.get(f"{url}/api/v1/posts/{post_id}/stats", timeout=10).json()
    return {key: body[key] for key in ("likes", "views", "unique_viewers", "comments")}


def eventually(url: str, post_id: str, expected: dict[str, int], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while (counted := stats_of(url, post_id)) != expected:
        assert time.monotonic() < deadline, f"counted {counted}, expected {expected}"
        time.sleep(0.25)


def like_all(url: str, post_id: str, fans: list[Member]) -> None:
    def like(fan: Member) -> None:
        with api_client(url) as api:
            assert api.put(f"/posts/{post_id}/like", headers=fan.auth).status_code == 200

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(like, fans))


def test_likes_made_while_the_broker_is_down_are_counted_once_it_is_back(
    system: System, kafka: KafkaServer
) -> None:
    author = Members(system.url).create()
    post = Posts(system.url).create(author)
    fans = [Members(system.url).create() for _ in range(20)]
    like_all(system.url, post["id"], fans[:10])
    kafka.stop()
    try:
        like_all(system.url, post["id"], fans[10:])  # the REST API keeps working: likes are in the outbox
        with api_client(system.url) as api:
            for fan in fans[:3]:
                assert api.delete(f"/posts/{post['id']}/like", headers=fan.auth).status_code == 200
            for fan in fans[:4]:
                assert api.get(f"/posts/{post['id']}", headers=fan.auth).status_code == 200
        unpublished = sql(
            system.env["FLOCK_POSTS_DB_URL"], "SELECT count(*) AS n FROM outbox WHERE published_at IS NULL"
        )
        assert unpublished[0]["n"] >= 13
    finally:
        kafka.start()
    eventually(system.url, post["id"], {"likes": 17, "views": 4, "unique_viewers": 4, "comments": 0})


def test_a_consumer_killed_mid_ingest_loses_and_doubles_nothing(system: System) -> None:
    author = Members(system.url).create()
    post = Posts(system.url).create(author)
    fans = [Members(system.url).create() for _ in range(30)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        liking = pool.submit(like_all, system.url, post["id"], fans)
        time.sleep(0.3)
        stats = system.processes["stats"]
        stats.child.send_signal(signal.SIGKILL)
        stats.child.wait(10)
        liking.result()
    system.start("stats")
    eventually(system.url, post["id"], {"likes": 30, "views": 0, "unique_viewers": 0, "comments": 0})


def test_events_delivered_twice_are_counted_once(system: System) -> None:
    author, fan = Members(system.url).create(), Members(system.url).create()
    post = Posts(system.url).create(author)
    with api_client(system.url) as api:
        api.put(f"/posts/{post['id']}/like", headers=fan.auth)
        api.post(f"/posts/{post['id']}/comments", json={"text": "hi"}, headers=fan.auth)
    expected = {"likes": 1, "views": 0, "unique_viewers": 0, "comments": 1}
    eventually(system.url, post["id"], expected)
    rows = sql(
        system.env["FLOCK_POSTS_DB_URL"],
        "SELECT topic, key, payload::text AS payload FROM outbox WHERE key = $1",
        post["id"],
    )
    assert len(rows) == 3  # created, liked, commented

    async def replay(rows: list[dict[str, Any]]) -> None:
        producer = AIOKafkaProducer(bootstrap_servers=system.env["FLOCK_KAFKA_BOOTSTRAP"], acks="all")
        await producer.start()
        try:
            for _ in range(2):
                for row in rows:
                    decoded = events.decode(row["payload"])
                    await producer.send_and_wait(
                        row["topic"], events.encode(decoded), key=row["key"].encode()
                    )
        finally:
            await producer.stop()

    asyncio.run(replay(rows))
    time.sleep(2)  # give the consumer time to (wrongly) count them
    assert stats_of(system.url, post["id"]) == expected
