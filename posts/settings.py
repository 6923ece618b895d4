"""The posts service's settings: one object per process, read once from ``FLOCK_*`` environment
variables. Nothing else in the service reads ``os.environ``; a missing or malformed setting stops the
process with a message naming the variable.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Annotated, TypeVar

import msgspec


class SettingsError(Exception):
    """A required setting is missing or malformed."""


class DatabaseSettings(msgspec.Struct, frozen=True):
    """What the migration tool needs."""

    db_url: Annotated[str, msgspec.Meta(min_length=1)]
    db_pool_size: Annotated[int, msgspec.Meta(ge=1, le=200)] = 10


class PostsSettings(DatabaseSettings, frozen=True):
    """Everything the posts process reads from its environment."""

    host: str = "127.0.0.1"
    port: Annotated[int, msgspec.Meta(ge=1, le=65535)] = 50051
    # On SIGTERM, calls in flight get this long to finish before they are cancelled.
    grace_seconds: Annotated[float, msgspec.Meta(ge=0, le=300)] = 10.0
    # Shared with the other processes: uvicorn's "trace" is accepted, and logs as debug here.
    log_level: Annotated[str, msgspec.Meta(pattern="^(?i:trace|debug|info|warning|error|critical)$")] = "info"
    # The outbox relay (posts/relay.py). The broker's bootstrap servers, host:port[,host:port...];
    # empty disables the relay: the service still writes its outbox, and the rows wait there.
    kafka_bootstrap: str = ""
    # At most this many outbox rows per round: read, published, acknowledged, then marked together.
    relay_batch: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 500
    # The relay wakes on a notification from each insert, and polls at least this often; a standby
    # instance tries for the lead as often.
    relay_poll_ms: Annotated[int, msgspec.Meta(ge=10, le=60_000)] = 1000


# Shared by every process under one name; the rest are FLOCK_POSTS_<FIELD>.
_SHARED_NAMES = {"log_level": "FLOCK_LOG_LEVEL", "kafka_bootstrap": "FLOCK_KAFKA_BOOTSTRAP"}


def env_name(field: str) -> str:
    """The environment variable that sets ``field``."""
    return _SHARED_NAMES.get(field) or f"FLOCK_POSTS_{field.upper()}"


def env_names() -> frozenset[str]:
    """Every environment variable the posts service reads."""
    return frozenset(map(env_name, PostsSettings.__struct_fields__))


_Settings = TypeVar("_Settings", bound=DatabaseSettings)


def _read(kind: type[_Settings], environ: Mapping[str, str] | None) -> _Settings:
    environ = os.environ if environ is None else environ
    given = {name: environ[env_name(name)] for name in kind.__struct_fields__ if env_name(name) in environ}
    try:
        return msgspec.convert(given, kind, strict=False)
    except msgspec.ValidationError as error:
        message = str(error)
        if missing := re.search(r"missing required field `(\w+)`", message):
            raise SettingsError(f"missing required setting {env_name(missing.group(1))}") from None
        # msgspec says "... - at `$.port`"; say which variable instead.
        raise SettingsError(re.sub(r"`\$\.(\w+)`", lambda m: env_name(m.group(1)), message)) from None


def load_database_settings(environ: Mapping[str, str] | None = None) -> DatabaseSettings:
    """Settings for tools that only touch the database (migrations)."""
    return _read(DatabaseSettings, environ)


def load_settings(environ: Mapping[str, str] | None = None) -> PostsSettings:
    """Read and validate the service's settings (from ``os.environ`` unless ``environ`` is given)."""
    return _read(PostsSettings, environ)
