"""The gateway's view publisher against a real broker: reads never wait for it, a broker outage delays
views without losing them (up to the buffer), a full buffer drops the oldest, and a restart during an
outage keeps them all (the spool)."""

from __future__ import annotations

import asyncio
import collections
import datetime
import tempfile
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

import msgspec
import pytest
from aiokafka import AIOKafkaConsumer

from gateway.view_events import ViewPublisher, viewer_key
from gateway.view_spool import ViewSpool
from idl.flock.events.v1 import events
from scripts import devstack
from tests.conftest import RunningProcess, free_port, gateway_process, start_process
from tests.factories import Members, Posts, api_client

SECRET = b"k" * 32


async def views_of(
    bootstrap: str, post_id: uuid.UUID, expected: int, within: float = 15.0
) -> list[events.PostViewed]:
    consumer = AIOKafkaConsumer(
        events.VIEWS_TOPIC,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        group_id=str(uuid.uuid4()),
    )
    await consumer.start()
    found: list[events.PostViewed] = []
    try:
        async with asyncio.timeout(within):
            while len(found) < expected:
                for records in (await consumer.getmany(timeout_ms=200)).values():
                    for record in records:
                        try:
                            event = events.decode(record.value or b"")
                        except (msgspec.ValidationError, msgspec.DecodeError):
                            continue  # another test's record, not an event, on the shared broker
                        if isinstance(event, events.PostViewed) and event.post_id == post_id:
                            assert record.key == str(post_id).encode()
                            found.append(event)
    finally:
        await consumer.stop()
    return found


def test_views_reach_the_broker_keyed_by_post(broker: str) -> None:
    async def scenario() -> list[events.PostViewed]:
        publisher = ViewPublisher(broker, buffer_size=1000, secret=SECRET)
        await publisher.start()
        post, author, reader = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        publisher.record(post, author, reader, "203.0.113.9")
        publisher.record(post, author, None, "203.0.113.9")
        try:
            return await views_of(broker, post, 2)
        finally:
            await publisher.stop()

    signed_in, anonymous = asyncio.run(scenario())
    assert signed_in.viewer_key.startswith("user:")
    assert anonymous.actor_id is None
    assert anonymous.viewer_key == viewer_key(None, "203.0.113.9", SECRET)
    assert "203.0.113.9" not in anonymous.viewer_key


def test_views_wait_out_a_broker_outage() -> None:
    address = f"127.0.0.1:{free_port()}"

    async def scenario() -> int:
        publisher = ViewPublisher(address, buffer_size=1000, secret=SECRET)
        await publisher.start()
        post = uuid.uuid4()
        for _ in range(50):
            publisher.record(post, uuid.uuid4(), None, "203.0.113.1")  # returns at once: no broker yet
        await asyncio.sleep(1.0)
        assert publisher.published == 0
        log = Path(tempfile.mkdtemp(prefix="flock-test-broker-")) / "broker.log"
        late_broker = await asyncio.to_thread(devstack.start_embedded_broker, address, log)
        try:
            return len(await views_of(address, post, 50, within=30))
        finally:
            await publisher.stop()
            late_broker.terminate()
            late_broker.wait(10)

    assert asyncio.run(scenario()) == 50


def test_a_full_buffer_drops_the_oldest_views_and_counts_them() -> None:
    async def scenario() -> tuple[int, int]:
        publisher = ViewPublisher(f"127.0.0.1:{free_port()}", buffer_size=100, secret=SECRET)
        for _ in range(130):
            publisher.record(uuid.uuid4(), uuid.uuid4(), None, "203.0.113.2")
        return publisher.dropped, len(publisher._buffer)

    assert asyncio.run(scenario()) == (30, 100)


def test_without_a_broker_address_views_are_not_recorded() -> None:
    publisher = ViewPublisher("", buffer_size=100, secret=SECRET)
    publisher.record(uuid.uuid4(), uuid.uuid4(), None, "203.0.113.3")
    assert len(publisher._buffer) == 0


# ---- the spool: views kept across a restart ---------------------------------------------------------


async def count_views(
    bootstrap: str, post_ids: Iterable[uuid.UUID], expected: int, within: float = 30.0, settle: float = 2.0
) -> collections.Counter[uuid.UUID]:
    """How often each view (by event_id) of ``post_ids`` is on the views topic: read until ``expected``
    distinct views came (or ``within`` ran out), then ``settle`` seconds more, for any duplicates."""
    wanted = set(post_ids)
    consumer = AIOKafkaConsumer(
        events.VIEWS_TOPIC,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        group_id=str(uuid.uuid4()),
    )
    await consumer.start()
    seen: collections.Counter[uuid.UUID] = collections.Counter()
    loop = asyncio.get_running_loop()
    deadline, quiet_until = loop.time() + within, None
    try:
        while loop.time() < (quiet_until or deadline):
            for records in (await consumer.getmany(timeout_ms=200)).values():
                for record in records:
                    try:
                        event = events.decode(record.value or b"")
                    except (msgspec.ValidationError, msgspec.DecodeError):
                        continue
                    if isinstance(event, events.PostViewed) and event.post_id in wanted:
                        seen[event.event_id] += 1
            if quiet_until is None and len(seen) >= expected:
                quiet_until = loop.time() + settle
    finally:
        await consumer.stop()
    return seen


def spooled_views(post: uuid.UUID, count: int) -> list[events.PostViewed]:
    return [
        events.PostViewed(
            event_id=uuid.uuid4(),
            occurred_at=datetime.datetime.now(tz=datetime.UTC),
            post_id=post,
            post_author_id=uuid.uuid4(),
            actor_id=None,
            viewer_key=f"anon:{n}",
        )
        for n in range(count)
    ]


def test_two_instances_on_one_spool_publish_each_spilled_view_once(broker: str, tmp_path: Path) -> None:
    spool = ViewSpool(tmp_path / "spool")
    post = uuid.uuid4()
    for _ in range(6):
        spool.spill(spooled_views(post, 100))

    async def scenario() -> collections.Counter[uuid.UUID]:
        publishers = [
            ViewPublisher(broker, buffer_size=1000, secret=SECRET, spool=ViewSpool(tmp_path / "spool"))
            for _ in range(2)
        ]
        for publisher in publishers:
            await publisher.start()
        try:
            return await count_views(broker, [post], 600)
        finally:
            for publisher in publishers:
                await publisher.stop()

    seen = asyncio.run(scenario())
    assert len(seen) == 600
    assert set(seen.values()) == {1}  # no file went twice
    assert spool.pending() == []


@pytest.fixture
def outage_gateway_env(gateway: RunningProcess, tmp_path: Path) -> dict[str, str]:
    """A second gateway's environment: the session's database and services, its own port and spool,
    and a broker address where nothing listens yet."""
    return {
        **gateway.env,
        "FLOCK_GATEWAY_PORT": str(free_port()),
        "FLOCK_KAFKA_BOOTSTRAP": f"127.0.0.1:{free_port()}",
        "FLOCK_GATEWAY_VIEW_SPOOL_DIR": str(tmp_path / "spool"),
        "FLOCK_LOG_LEVEL": "info",
    }


def test_views_accepted_during_an_outage_survive_a_gateway_restart(
    outage_gateway_env: dict[str, str], gateway_url: str, tmp_path: Path
) -> None:
    env, reads = outage_gateway_env, 300
    author = Members(gateway_url).create()
    post = Posts(gateway_url).create(author, "read while the broker is down")
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    running = start_process(gateway_process(env), tmp_path / "first")
    with api_client(f"http://127.0.0.1:{env['FLOCK_GATEWAY_PORT']}") as api:
        answered = [api.get(f"/posts/{post['id']}").status_code for _ in range(reads)]
    assert answered == [200] * reads

    running.stop()  # SIGTERM, the broker still down
    assert f"kept {reads} unpublished views" in running.log.read_text()
    assert len(ViewSpool(Path(env["FLOCK_GATEWAY_VIEW_SPOOL_DIR"])).pending()) == 1

    broker_log = tmp_path / "broker.log"
    late_broker = devstack.start_embedded_broker(env["FLOCK_KAFKA_BOOTSTRAP"], broker_log)
    try:
        restarted = time.monotonic()
        again = start_process(gateway_process(env), tmp_path / "second")
        try:
            seen = asyncio.run(count_views(env["FLOCK_KAFKA_BOOTSTRAP"], [uuid.UUID(post["id"])], reads))
            published_within = time.monotonic() - restarted
        finally:
            again.stop()
    finally:
        late_broker.terminate()
        late_broker.wait(10)
    assert len(seen) == reads, f"{len(seen)} of {reads} views kept across the restart"
    assert set(seen.values()) == {1}
    assert ViewSpool(Path(env["FLOCK_GATEWAY_VIEW_SPOOL_DIR"])).pending() == []
    print(f"{len(seen)}/{reads} views kept across a restart; published {published_within:.1f} s after it")
