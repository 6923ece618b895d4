"""The stats service's settings: one object per process, read once from ``FLOCK_*`` environment
variables (``FLOCK_STATS_<FIELD>``, or a name every process shares) by :mod:`servicekit.settings`.
Nothing else in the service reads ``os.environ``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

import msgspec

from servicekit.settings import SHARED_NAMES, Environment, GraceSeconds, LogLevel, Port, SettingsError

__all__ = ["SettingsError", "StatsSettings", "env_name", "env_names", "load_settings"]

ENVIRONMENT = Environment(
    "FLOCK_STATS_",
    {
        **SHARED_NAMES,
        "kafka_partitions": "FLOCK_KAFKA_PARTITIONS",
        "kafka_replication_factor": "FLOCK_KAFKA_REPLICATION_FACTOR",
    },
)


class StatsSettings(msgspec.Struct, frozen=True):
    """Everything a stats process reads from its environment."""

    # chdb:///absolute/path (the engine in-process) or http(s)://user:password@host:8123/database.
    clickhouse_url: Annotated[str, msgspec.Meta(pattern=r"^(chdb:///.+|https?://[^/\s]+(/\w*)?)$")]
    # host:port[,host:port...] of the Kafka-protocol broker.
    kafka_bootstrap: Annotated[str, msgspec.Meta(min_length=1)]
    host: str = "127.0.0.1"
    port: Port = 50052
    # Partitions and replicas of each topic `python -m stats setup` creates.
    kafka_partitions: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 3
    kafka_replication_factor: Annotated[int, msgspec.Meta(ge=1, le=10)] = 1
    consumer_group: Annotated[str, msgspec.Meta(min_length=1)] = "flock-stats"
    # A batch is inserted when it holds this many events or after this long, whichever comes first.
    batch_size: Annotated[int, msgspec.Meta(ge=1, le=100_000)] = 10_000
    batch_timeout_ms: Annotated[int, msgspec.Meta(ge=1, le=60_000)] = 200
    # How long the broker waits for a silent consumer before handing its partitions to another.
    # Kafka accepts 6 s and more by default; a Kafka-compatible test broker may allow less.
    session_timeout_ms: Annotated[int, msgspec.Meta(ge=1000, le=300_000)] = 6000
    # A ranking (TopPosts, TopAuthors) is computed at most once per this long and shared meanwhile.
    ranking_ttl_ms: Annotated[int, msgspec.Meta(ge=0, le=60_000)] = 500
    # On SIGTERM, the batch and the calls in flight get this long to finish.
    grace_seconds: GraceSeconds = 10.0
    log_level: LogLevel = "info"


env_name = ENVIRONMENT.name


def env_names() -> frozenset[str]:
    """Every environment variable the stats service reads."""
    return ENVIRONMENT.names(StatsSettings)


def load_settings(environ: Mapping[str, str] | None = None) -> StatsSettings:
    """Read and validate the service's settings (from ``os.environ`` unless ``environ`` is given)."""
    return ENVIRONMENT.load(StatsSettings, environ)
