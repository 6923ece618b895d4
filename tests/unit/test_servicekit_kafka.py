"""The one producer without a broker: a failed start leaves nothing behind (FastStream's broker leaves
an unclosed aiokafka producer, which is why a probe of the broker's port used to come first), and the
next use tries again."""

from __future__ import annotations

import asyncio
import gc
import warnings

import pytest
from aiokafka.errors import KafkaConnectionError

from servicekit.kafka import Message, Producer
from tests.conftest import free_port


def test_a_producer_that_cannot_start_leaves_nothing_open_and_tries_again_next_time() -> None:
    async def scenario() -> None:
        producer = Producer(f"127.0.0.1:{free_port()}", client_id="test")
        for _ in range(2):
            with pytest.raises(KafkaConnectionError):
                await producer.send(Message("topic", b"key", b"value"))
        await producer.close()

    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)
        asyncio.run(scenario())
        gc.collect()  # an unclosed aiokafka producer warns when collected
