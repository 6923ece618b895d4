"""The local Apache Kafka (``scripts/kafka.py``) keeps what it acknowledged across restarts: messages
produced with ``acks=all`` and consumer groups' committed offsets, after a graceful stop and after a
crash (SIGKILL). One broker for the module, on a data folder of its own; the tests run in order and
each restarts it.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition  # type: ignore[import-untyped, unused-ignore]

from scripts import kafka

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[kafka.KafkaServer]:
    running = kafka.KafkaServer(tmp_path_factory.mktemp("kafka"), kafka.free_port())
    running.start()
    yield running
    running.stop()


def _topic() -> str:
    return f"durability-{uuid.uuid4().hex[:8]}"


def _produce(bootstrap: str, topic: str, values: list[bytes]) -> None:
    """Send every value with acks=all and wait for each acknowledgement."""

    async def produce() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
        await producer.start()
        try:
            for value in values:
                await producer.send_and_wait(topic, value, key=b"post-1")
        finally:
            await producer.stop()

    asyncio.run(produce())


def _consumer(bootstrap: str, topic: str, group: str | None) -> Any:
    return AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )


def _consume(
    bootstrap: str, topic: str, count: int, *, group: str | None = None, commit: bool = False
) -> list[bytes]:
    """Read ``count`` values from where the group left off (the beginning without a group);
    commit the offsets after them if asked."""

    async def consume() -> list[bytes]:
        consumer = _consumer(bootstrap, topic, group)
        await consumer.start()
        try:
            values: list[bytes] = []
            async with asyncio.timeout(30):
                while len(values) < count:
                    batches = await consumer.getmany(timeout_ms=500, max_records=count - len(values))
                    values += [record.value for records in batches.values() for record in records]
            if commit:
                await consumer.commit()
            return values
        finally:
            await consumer.stop()

    return asyncio.run(consume())


def _committed(bootstrap: str, topic: str, group: str) -> int | None:
    async def committed() -> int | None:
        consumer = _consumer(bootstrap, topic, group)
        await consumer.start()
        try:
            offset: int | None = await consumer.committed(TopicPartition(topic, 0))
            return offset
        finally:
            await consumer.stop()

    return asyncio.run(committed())


def _values(count: int) -> list[bytes]:
    return [f"event-{number}".encode() for number in range(count)]


def test_messages_acknowledged_with_acks_all_survive_a_graceful_restart(server: kafka.KafkaServer) -> None:
    topic = _topic()
    _produce(server.bootstrap, topic, _values(100))
    server.restart()
    assert _consume(server.bootstrap, topic, 100) == _values(100)


def test_committed_offsets_of_a_consumer_group_survive_a_restart(server: kafka.KafkaServer) -> None:
    topic, group = _topic(), "stats-consumer"
    _produce(server.bootstrap, topic, _values(10))
    assert _consume(server.bootstrap, topic, 4, group=group, commit=True) == _values(10)[:4]
    server.restart()
    assert _committed(server.bootstrap, topic, group) == 4
    # The group resumes after what it committed: nothing is read twice, nothing is skipped.
    assert _consume(server.bootstrap, topic, 6, group=group) == _values(10)[4:]


def test_messages_and_offsets_survive_a_crash(server: kafka.KafkaServer) -> None:
    topic, group = _topic(), "stats-consumer"
    _produce(server.bootstrap, topic, _values(50))
    _consume(server.bootstrap, topic, 20, group=group, commit=True)
    server.kill()
    server.start()
    assert _committed(server.bootstrap, topic, group) == 20
    assert _consume(server.bootstrap, topic, 50) == _values(50)


def test_the_bootstrap_address_is_on_loopback_and_the_pid_file_names_the_broker(
    server: kafka.KafkaServer,
) -> None:
    assert server.bootstrap == f"127.0.0.1:{server.port}"
    assert int(server.pid_file.read_text()) == server.running_pid()
    listeners = {
        line.split("=", 1)[1]
        for line in server.config.read_text().splitlines()
        if line.startswith("listeners=")
    }
    (addresses,) = listeners
    assert all(address.split("//")[1].startswith("127.0.0.1:") for address in addresses.split(","))


def test_the_command_line_stops_a_broker_it_did_not_start_and_says_when_none_runs(tmp_path: Path) -> None:
    def cli(*arguments: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "scripts.kafka", *arguments, "--data-dir", str(tmp_path)]
        return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)

    assert "No Kafka runs" in cli("stop").stdout
    port = kafka.free_port()
    started = cli("start", "--port", str(port))
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == f"127.0.0.1:{port}"  # the bootstrap address, for $(...) in scripts
    pid = int((tmp_path / "kafka.pid").read_text())
    assert kafka.KafkaServer(tmp_path, port).running_pid() == pid
    assert cli("stop").returncode == 0
    assert kafka.KafkaServer(tmp_path, port).running_pid() is None
    assert not (tmp_path / "kafka.pid").exists()
