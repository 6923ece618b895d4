"""A transactional outbox in PostgreSQL: a service writes each event as a row, in the transaction of
the change it describes, so the event exists exactly when the change does; the relay
(:mod:`servicekit.relay`) publishes the rows and stamps ``published_at``.

The table (created by the service's migrations) has the columns ``id bigserial``, ``event_id uuid``,
``topic``, ``key``, ``event_type`` (text), ``payload jsonb``, ``occurred_at`` and ``published_at``
(timestamptz, NULL until published), and an insert trigger that runs ``pg_notify(<channel>, '')``,
so the relay wakes when the writing transaction commits. Which events go in, and to which topic, is
the service's business; :class:`Outbox` only names where they go.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import re
import uuid
from collections.abc import Iterable
from typing import Any

# An asyncpg connection (asyncpg ships no type hints).
Connection = Any

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclasses.dataclass(frozen=True)
class Outbox:
    """One service's outbox: its ``table``, the ``channel`` its insert trigger notifies, the name of
    the advisory lock that makes one relay the publisher (``lock_name``), and the ``client_id`` its
    relay shows to the broker and, with the process id, to ``pg_stat_activity``."""

    table: str
    channel: str
    lock_name: str
    client_id: str

    def __post_init__(self) -> None:
        # The table's name goes into SQL text: it must be a plain identifier.
        if not _IDENTIFIER.match(self.table):
            raise ValueError(f"not a plain table name: {self.table!r}")

    @property
    def lock_key(self) -> int:
        """The advisory lock's key: a 64-bit number derived from ``lock_name``."""
        return int.from_bytes(hashlib.sha256(self.lock_name.encode()).digest()[:8], "big", signed=True)


@dataclasses.dataclass(frozen=True, slots=True)
class Row:
    """An event as the outbox stores it: ``payload`` is its JSON text; ``key`` picks its partition, so
    events with one key stay in order."""

    event_id: uuid.UUID
    topic: str
    key: str
    event_type: str
    payload: str
    occurred_at: datetime.datetime


async def write(connection: Connection, outbox: Outbox, rows: Iterable[Row]) -> None:
    """Write ``rows`` in one round trip. ``connection`` must be in the transaction that makes the
    change they describe."""
    await connection.executemany(
        f"INSERT INTO {outbox.table} (event_id, topic, key, event_type, payload, occurred_at)"  # noqa: S608 - a checked identifier
        " VALUES ($1, $2, $3, $4, $5::jsonb, $6)",
        [(row.event_id, row.topic, row.key, row.event_type, row.payload, row.occurred_at) for row in rows],
    )
