"""The posts service's settings: one object per process, read once from ``FLOCK_*`` environment
variables (``FLOCK_POSTS_<FIELD>``, or a name every process shares) by :mod:`servicekit.settings`.
Nothing else in the service reads ``os.environ``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

import msgspec

from servicekit.settings import Environment, GraceSeconds, LogLevel, Port, SettingsError

__all__ = [
    "DatabaseSettings",
    "PostsSettings",
    "SettingsError",
    "env_name",
    "env_names",
    "load_database_settings",
    "load_settings",
]

ENVIRONMENT = Environment("FLOCK_POSTS_")
FAULT_OPERATIONS = ("post", "comment", "like")
_FAULT = "|".join(FAULT_OPERATIONS)
FAULT_PATTERN = f"^(({_FAULT})(,({_FAULT}))*)?$"


class DatabaseSettings(msgspec.Struct, frozen=True):
    """What the migration tool needs."""

    db_url: Annotated[str, msgspec.Meta(min_length=1)]
    db_pool_size: Annotated[int, msgspec.Meta(ge=1, le=200)] = 10


class PostsSettings(DatabaseSettings, frozen=True):
    """Everything the posts process reads from its environment."""

    host: str = "127.0.0.1"
    port: Port = 50051
    # On SIGTERM, calls in flight get this long to finish before they are cancelled.
    grace_seconds: GraceSeconds = 10.0
    log_level: LogLevel = "info"
    # The outbox relay (posts/relay.py). The broker's bootstrap servers, host:port[,host:port...];
    # empty disables the relay: the service still writes its outbox, and the rows wait there.
    kafka_bootstrap: str = ""
    # At most this many outbox rows per round: read, published, acknowledged, then marked together.
    relay_batch: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 500
    # The relay wakes on a notification from each insert, and polls at least this often; a standby
    # instance tries for the lead as often.
    relay_poll_ms: Annotated[int, msgspec.Meta(ge=10, le=60_000)] = 1000
    # The consumer of account events (posts/accounts.py), on the same broker: its consumer group, and
    # how long it waits to fill a batch (short: a suspension should hide content within a second).
    accounts_group: str = "flock-posts-accounts"
    accounts_batch_timeout_ms: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 50
    # Test only, never in production: a comma-separated list of operations (post, comment, like) after
    # whose commit the process exits at once, before it answers, as a crash at the worst moment
    # would; the tests of what the gateway makes of a lost answer set it.
    fault_after_commit: Annotated[str, msgspec.Meta(pattern=FAULT_PATTERN)] = ""

    @property
    def crash_after_commit(self) -> frozenset[str]:
        """The operations of ``fault_after_commit``."""
        return frozenset(filter(None, self.fault_after_commit.split(",")))


env_name = ENVIRONMENT.name


def env_names() -> frozenset[str]:
    """Every environment variable the posts service reads."""
    return ENVIRONMENT.names(PostsSettings)


def load_database_settings(environ: Mapping[str, str] | None = None) -> DatabaseSettings:
    """Settings for tools that only touch the database (migrations)."""
    return ENVIRONMENT.load(DatabaseSettings, environ)


def load_settings(environ: Mapping[str, str] | None = None) -> PostsSettings:
    """Read and validate the service's settings (from ``os.environ`` unless ``environ`` is given)."""
    return ENVIRONMENT.load(PostsSettings, environ)
