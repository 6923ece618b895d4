"""The broker, one way each: :class:`Producer` to produce, :class:`BatchConsumer` to consume.

Consuming: FastStream. A :class:`BatchConsumer` is one FastStream batch subscriber in a consumer
group, with manual acknowledgement, handed each batch undecoded (the consumer decodes its own events).
It commits exactly the offsets it is told (:func:`commit`), not FastStream's ``ack()``: that commits
everything the consumer has read, and a consumer that reads the next batch while it writes the last
one would commit a batch it has not written. The explicit offsets go to the aiokafka consumer that
FastStream hands over with each message: the one raw-aiokafka call on this side. Unit tests run a
consumer in memory with FastStream's ``TestKafkaBroker``.

Producing: aiokafka's producer, which FastStream's broker wraps, used directly here, for four
reasons found in FastStream 0.7.8's source:

1. The outbox relay sends each partition's rows as one record batch, which the broker takes or
   refuses whole, so a partition's events are never overtaken. ``KafkaBroker.publish_batch(...,
   topic=, partition=)`` does build one aiokafka batch and ``send_batch`` it, but with one set of
   headers for every record, while each outbox record carries its own ``event_type`` header.
2. FastStream adds headers of its own to every record (``correlation_id``, ``content-type``);
   the outbox records' headers are part of their contract (``event_type`` and nothing else).
3. A keyed record's partition must be chosen before the batch is built, from the topic's partition
   list, which only the aiokafka producer knows (``partitions_for``).
4. When the producer cannot start (no broker yet), FastStream's ``connect`` leaves the half-started
   aiokafka producer unstopped, and a probe of the broker's TCP port was needed before each attempt.
   :meth:`Producer.start` stops it instead, so no probe is needed anywhere.

The gateway's views use the same producer (:meth:`Producer.send`, one record at a time, pipelined).
Topic administration (:func:`create_topics`) is aiokafka's admin client, also only here.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError, for_code
from aiokafka.partitioner import DefaultPartitioner
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.message import KafkaMessage

from servicekit.background import in_background
from servicekit.backoff import Backoff

log = logging.getLogger("flock.kafka")

# A topic and partition.
Partition = tuple[str, int]

# A record batch: large enough for a whole relay round's rows of one partition (events are ~400 bytes),
# well under the 1 MiB a broker takes by default.
MAX_BATCH_BYTES = 512 * 1024
# How long the broker may take to acknowledge, and aiokafka retries a batch, before a send fails.
REQUEST_TIMEOUT_MS = 10_000
# How often aiokafka tries again, within that time, to deliver a batch or to refresh its metadata.
RETRY_BACKOFF_MS = 500
# On close, how long the producer may take (it flushes what it still holds).
CLOSE_SECONDS = 2.0


@dataclasses.dataclass(frozen=True, slots=True)
class Message:
    """A record to produce: keyed (its partition follows from the key), with its own headers."""

    topic: str
    key: bytes
    value: bytes
    headers: Sequence[tuple[str, bytes]] = ()


class Producer:
    """An aiokafka producer with acks from every in-sync replica, started on first use (and again on
    the next use after a failed start, or after :meth:`close`).

    Without idempotence (Tansu has none): duplicates from retries are the consumers' to drop.
    """

    def __init__(
        self,
        bootstrap: str,
        *,
        client_id: str,
        request_timeout_ms: int = REQUEST_TIMEOUT_MS,
        retry_backoff_ms: int = RETRY_BACKOFF_MS,
        max_batch_bytes: int = MAX_BATCH_BYTES,
    ) -> None:
        self._options: dict[str, Any] = {
            "bootstrap_servers": bootstrap,
            "client_id": client_id,
            "acks": "all",
            "enable_idempotence": False,
            "max_batch_size": max_batch_bytes,
            "request_timeout_ms": request_timeout_ms,
            "retry_backoff_ms": retry_backoff_ms,
        }
        self._producer: AIOKafkaProducer | None = None
        self._partitioner = DefaultPartitioner()

    async def start(self) -> AIOKafkaProducer:
        """The started producer; raises if no broker answers (then nothing is left running)."""
        if self._producer is None:
            producer = AIOKafkaProducer(**self._options)
            try:
                await producer.start()
            except BaseException:
                await producer.stop()  # a producer that failed to start still holds its client
                raise
            self._producer = producer
        return self._producer

    async def send(self, message: Message) -> asyncio.Future[Any]:
        """Queue ``message``; the future settles when the broker has acknowledged it (or it failed).
        Records queued one after the other are pipelined, several batches per partition in flight."""
        producer = await self.start()
        future: asyncio.Future[Any] = await producer.send(
            message.topic, message.value, key=message.key, headers=list(message.headers)
        )
        return future

    async def send_in_order(self, messages: Sequence[Message], acknowledged: list[int]) -> None:
        """Publish ``messages`` so that none is stored before an earlier one of its partition, and wait
        until every one is settled; append to ``acknowledged`` the positions (in ``messages``) the
        broker acknowledged, and raise if any were not.

        Each partition's messages go as record batches (several, one after the other, if they do not
        fit in one), each sent once the one before is acknowledged; partitions go in parallel. A batch
        is taken or refused whole, so what failed is a suffix of its partition's messages.
        """
        producer = await self.start()
        by_partition: dict[Partition, list[tuple[int, Message]]] = defaultdict(list)
        partitions: dict[str, list[int]] = {}
        for position, message in enumerate(messages):
            if message.topic not in partitions:
                partitions[message.topic] = sorted(await producer.partitions_for(message.topic))
            # aiokafka's own choice for a keyed message (murmur2, as Kafka's Java client).
            available = partitions[message.topic]
            partition = self._partitioner(message.key, available, available)
            by_partition[message.topic, partition].append((position, message))
        results = await asyncio.gather(
            *(
                self._send_partition(producer, destination, pending, acknowledged)
                for destination, pending in by_partition.items()
            ),
            return_exceptions=True,
        )
        for result in results:
            if isinstance(result, BaseException):
                raise result

    @staticmethod
    async def _send_partition(
        producer: AIOKafkaProducer,
        destination: Partition,
        pending: list[tuple[int, Message]],
        acknowledged: list[int],
    ) -> None:
        topic, partition = destination
        while pending:
            batch = producer.create_batch()
            taken = 0
            for _, message in pending:
                # The builder takes a first record whatever its size, then answers None when full.
                metadata = batch.append(
                    key=message.key, value=message.value, timestamp=None, headers=list(message.headers)
                )
                if metadata is None:
                    break
                taken += 1
            batch.close()
            await (await producer.send_batch(batch, topic, partition=partition))
            acknowledged.extend(position for position, _ in pending[:taken])
            pending = pending[taken:]

    async def close(self) -> None:
        """Stop the producer, waiting at most :data:`CLOSE_SECONDS` for what it still holds; the next
        use starts a fresh one."""
        producer, self._producer = self._producer, None
        if producer is not None:
            try:
                await asyncio.wait_for(producer.stop(), CLOSE_SECONDS)
            except TimeoutError:
                log.warning("the producer did not close within %.0f s", CLOSE_SECONDS)


async def _undecoded(message: KafkaMessage) -> KafkaMessage:
    """The decoder: hand the batch over as it came (the consumer decodes each event itself)."""
    return message


BatchHandler = Callable[[KafkaMessage], Awaitable[None]]


class BatchConsumer:
    """``handler`` called with each batch read from ``topics`` in consumer group ``group_id``: at
    most ``max_records`` records, or what came within ``batch_timeout_ms``. Nothing is committed but
    what the handler (or work it hands on) passes to :func:`commit`; a new group starts from the
    earliest offsets."""

    def __init__(
        self,
        bootstrap: str,
        topics: Iterable[str],
        handler: BatchHandler,
        *,
        client_id: str,
        group_id: str,
        max_records: int,
        batch_timeout_ms: int,
        session_timeout_ms: int,
        graceful_timeout: float,
        max_partition_fetch_bytes: int = 8 * 1024 * 1024,
        logger: logging.Logger | None = None,
    ) -> None:
        self.broker = KafkaBroker(
            bootstrap,
            client_id=client_id,
            graceful_timeout=graceful_timeout,
            # Handlers get the message as it is: no dependency injection, no body validation.
            apply_types=False,
            logger=logger,
            log_level=logging.DEBUG,  # a line per batch is too many at INFO
        )
        self.broker.subscriber(
            *topics,
            group_id=group_id,
            batch=True,
            max_records=max_records,
            batch_timeout_ms=batch_timeout_ms,
            ack_policy=AckPolicy.MANUAL,
            auto_offset_reset="earliest",
            session_timeout_ms=session_timeout_ms,
            heartbeat_interval_ms=max(session_timeout_ms // 3, 100),
            max_partition_fetch_bytes=max_partition_fetch_bytes,
            decoder=_undecoded,
        )(handler)

    async def start(self) -> None:
        """Connect and join the group; batches start coming."""
        await self.broker.start()

    async def stop(self) -> None:
        """Leave the group and disconnect (what was not committed is read again by the next owner)."""
        await self.broker.stop()


# How long leaving the group may take at the end: a courtesy (what was not committed is read again
# anyway), bounded, so an unreachable broker does not hold up a shutdown.
LEAVE_SECONDS = 1.0


@asynccontextmanager
async def consuming(consumer: BatchConsumer, *, name: str, log: logging.Logger) -> AsyncIterator[None]:
    """``consumer`` joined to its group during the block: it connects in the background, and
    connects again after a backoff until the broker answers (a broker not up yet delays nothing
    else); on exit it leaves the group."""

    async def connect() -> None:
        backoff = Backoff()
        while True:
            try:
                await consumer.start()
                return
            except Exception as error:  # noqa: BLE001 - a broker not up yet
                delay = backoff.next()
                log.warning("%s cannot connect to the broker, again in %.1f s: %r", name, delay, error)
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(consumer.stop(), LEAVE_SECONDS)
                await asyncio.sleep(delay)

    try:
        async with in_background(connect(), name):
            yield
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(consumer.stop(), LEAVE_SECONDS)


def records_of(message: KafkaMessage) -> tuple[ConsumerRecord[Any, Any], ...]:
    """The records of a batch, in the order read."""
    raw: Any = message.raw_message
    # A tuple from a real consumer, a list from FastStream's in-memory test broker.
    return tuple(raw) if isinstance(raw, tuple | list) else (raw,)


async def commit(message: KafkaMessage, offsets: Mapping[Partition, int]) -> bool:
    """Commit ``offsets`` (the next offset to read, by partition), and no others, through the consumer
    that read ``message``. False where there is nothing to commit to: FastStream's in-memory test
    broker keeps no offsets."""
    consumer = message.consumer
    if not isinstance(consumer, AIOKafkaConsumer):
        return False
    await consumer.commit(
        {TopicPartition(topic, partition): offset for (topic, partition), offset in offsets.items()}
    )
    return True


async def create_topics(
    bootstrap: str,
    topics: Iterable[str],
    *,
    partitions: int,
    replication_factor: int,
    client_id: str,
    configs: Mapping[str, Mapping[str, str]] | None = None,
) -> list[str]:
    """Create those of ``topics`` that do not exist yet (an existing one is left as it is), each with
    its ``configs`` (``cleanup.policy``…); return those created."""
    configs = configs or {}
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id=client_id)
    await admin.start()
    try:
        response = await admin.create_topics(
            [
                NewTopic(topic, partitions, replication_factor, topic_configs=dict(configs.get(topic, {})))
                for topic in topics
            ]
        )
    finally:
        await admin.close()
    created = []
    for topic, code, *message in response.topic_errors:
        if code == 0:
            created.append(topic)
        elif for_code(code) is not TopicAlreadyExistsError:
            raise for_code(code)(f"cannot create topic {topic}: {message}")
    return created
