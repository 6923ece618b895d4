"""``python -m stats setup``: the broker's topics and the ClickHouse schema, created if missing.

Idempotent: a topic that exists already is left as it is (its partitions too), and only the schema
files not applied yet are applied.
"""

from __future__ import annotations

import asyncio
import logging

from idl.flock.events.v1 import events
from servicekit import kafka
from stats import schema
from stats.clickhouse import ClickHouse, create_database
from stats.settings import StatsSettings

log = logging.getLogger("flock.stats")


async def create_topics(settings: StatsSettings) -> list[str]:
    """Create the event topics that do not exist yet; return those created."""
    return await kafka.create_topics(
        settings.kafka_bootstrap,
        events.TOPICS,
        partitions=settings.kafka_partitions,
        replication_factor=settings.kafka_replication_factor,
        client_id="flock-stats-setup",
        configs=events.TOPIC_CONFIGS,
    )


async def migrate(settings: StatsSettings) -> list[str]:
    """Apply the schema files not applied yet; return their versions."""
    await asyncio.to_thread(create_database, settings.clickhouse_url)
    clickhouse = ClickHouse(settings.clickhouse_url)
    try:
        return await clickhouse.call(schema.migrate)
    finally:
        await clickhouse.close()


async def setup(settings: StatsSettings) -> None:
    """The topics, then the schema."""
    created = await create_topics(settings)
    log.info("topics created: %s", ", ".join(created) or "none (they exist)")
    applied = await migrate(settings)
    log.info("schema versions applied: %s", ", ".join(applied) or "none (up to date)")
