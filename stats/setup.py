"""``python -m stats setup``: the broker's topics and the ClickHouse schema, created if missing.

Idempotent: a topic that exists already is left as it is (its partitions too), and only the schema
files not applied yet are applied.
"""

from __future__ import annotations

import asyncio
import logging

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError, for_code

from idl.flock.events.v1 import events
from stats import schema
from stats.clickhouse import ClickHouse, create_database
from stats.settings import StatsSettings

log = logging.getLogger("flock.stats")


async def create_topics(settings: StatsSettings) -> list[str]:
    """Create the event topics that do not exist yet; return those created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap, client_id="flock-stats-setup")
    await admin.start()
    try:
        response = await admin.create_topics(
            [
                NewTopic(topic, settings.kafka_partitions, settings.kafka_replication_factor)
                for topic in events.TOPICS
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


async def migrate(settings: StatsSettings) -> list[str]:
    """Apply the schema files not applied yet; return their versions."""
    await asyncio.to_thread(create_database, settings.clickhouse_url)
    clickhouse = ClickHouse(settings.clickhouse_url)
    try:
        return await clickhouse.call(schema.migrate)
    finally:
        await clickhouse.close()


async def setup(settings: StatsSettings) -> None:
    created = await create_topics(settings)
    log.info("topics created: %s", ", ".join(created) or "none (they exist)")
    applied = await migrate(settings)
    log.info("schema versions applied: %s", ", ".join(applied) or "none (up to date)")
