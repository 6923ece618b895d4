"""The gateway's view publisher against a real broker: reads never wait for it, a broker outage delays
views without losing them (up to the buffer), and a full buffer drops the oldest."""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from pathlib import Path

import msgspec
from aiokafka import AIOKafkaConsumer

from gateway.view_events import ViewPublisher, viewer_key
from idl.flock.events.v1 import events
from scripts import devstack
from tests.conftest import free_port

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
