"""The stats service's settings: one object per process, read once from ``FLOCK_*`` environment
variables. Nothing else in the service reads ``os.environ``; a missing or malformed setting stops the
process with a message naming the variable.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Annotated

import msgspec


class SettingsError(Exception):
    """A required setting is missing or malformed."""


class StatsSettings(msgspec.Struct, frozen=True):
    """Everything a stats process reads from its environment."""

    # chdb:///absolute/path (the engine in-process) or http(s)://user:password@host:8123/database.
    clickhouse_url: Annotated[str, msgspec.Meta(pattern=r"^(chdb:///.+|https?://[^/\s]+(/\w*)?)$")]
    # host:port[,host:port...] of the Kafka-protocol broker.
    kafka_bootstrap: Annotated[str, msgspec.Meta(min_length=1)]
    host: str = "127.0.0.1"
    port: Annotated[int, msgspec.Meta(ge=1, le=65535)] = 50052
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
    grace_seconds: Annotated[float, msgspec.Meta(ge=0, le=300)] = 10.0
    # Shared with the other processes: uvicorn's "trace" is accepted, and logs as debug here.
    log_level: Annotated[str, msgspec.Meta(pattern="^(?i:trace|debug|info|warning|error|critical)$")] = "info"


# Shared by every process under one name; the rest are FLOCK_STATS_<FIELD>.
_SHARED_NAMES = {
    "log_level": "FLOCK_LOG_LEVEL",
    "kafka_bootstrap": "FLOCK_KAFKA_BOOTSTRAP",
    "kafka_partitions": "FLOCK_KAFKA_PARTITIONS",
    "kafka_replication_factor": "FLOCK_KAFKA_REPLICATION_FACTOR",
}


def env_name(field: str) -> str:
    """The environment variable that sets ``field``."""
    return _SHARED_NAMES.get(field) or f"FLOCK_STATS_{field.upper()}"


def env_names() -> frozenset[str]:
    """Every environment variable the stats service reads."""
    return frozenset(map(env_name, StatsSettings.__struct_fields__))


def load_settings(environ: Mapping[str, str] | None = None) -> StatsSettings:
    """Read and validate the service's settings (from ``os.environ`` unless ``environ`` is given)."""
    environ = os.environ if environ is None else environ
    fields = StatsSettings.__struct_fields__
    given = {name: environ[env_name(name)] for name in fields if env_name(name) in environ}
    try:
        return msgspec.convert(given, StatsSettings, strict=False)
    except msgspec.ValidationError as error:
        message = str(error)
        if missing := re.search(r"missing required field `(\w+)`", message):
            raise SettingsError(f"missing required setting {env_name(missing.group(1))}") from None
        # msgspec says "... - at `$.port`"; say which variable instead.
        raise SettingsError(re.sub(r"`\$\.(\w+)`", lambda m: env_name(m.group(1)), message)) from None


def log_level(settings: StatsSettings) -> str:
    """The level for :mod:`logging` (uvicorn's ``trace`` is ``DEBUG`` here)."""
    return "DEBUG" if settings.log_level.lower() == "trace" else settings.log_level.upper()
