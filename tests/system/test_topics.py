"""The event topics as the stats setup creates them: the accounts and relationships topics compacted
(every account's latest status, and every pair's latest block and mute, kept for consumers that start
from the beginning), on Apache Kafka, which reports topic
settings as a production broker does, and accepted by the embedded broker of the quick path."""

from __future__ import annotations

import asyncio
import uuid

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from idl.flock.events.v1 import events
from scripts.kafka import KafkaServer
from servicekit import kafka


def _create(bootstrap: str, topic: str) -> list[str]:
    return asyncio.run(
        kafka.create_topics(
            bootstrap,
            [topic],
            partitions=1,
            replication_factor=1,
            client_id="flock-test-topics",
            configs={topic: events.TOPIC_CONFIGS[events.ACCOUNTS_TOPIC]},
        )
    )


def _cleanup_policy(bootstrap: str, topic: str) -> str:
    async def describe() -> str:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="flock-test-topics")
        await admin.start()
        try:
            [response] = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
        finally:
            await admin.close()
        [(_, _, _, _, entries)] = response.resources
        return next(str(value) for name, value, *_ in entries if name == "cleanup.policy")

    return asyncio.run(describe())


def test_the_accounts_relationships_and_follows_topics_are_compacted() -> None:
    configs, compacted = events.TOPIC_CONFIGS, {"cleanup.policy": "compact"}
    assert configs == {
        events.ACCOUNTS_TOPIC: compacted,
        events.RELATIONSHIPS_TOPIC: compacted,
        events.FOLLOWS_TOPIC: compacted,
    }


def test_topic_settings_reach_apache_kafka(kafka: KafkaServer) -> None:
    topic = f"flock.test.accounts.{uuid.uuid4().hex[:8]}"
    assert _create(kafka.bootstrap, topic) == [topic]
    assert _cleanup_policy(kafka.bootstrap, topic) == "compact"
    # Created once: a second setup leaves it as it is.
    assert _create(kafka.bootstrap, topic) == []


def test_the_embedded_broker_accepts_them(broker: str) -> None:
    topic = f"flock.test.accounts.{uuid.uuid4().hex[:8]}"
    assert _create(broker, topic) == [topic]
