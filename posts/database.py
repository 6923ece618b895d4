"""The posts database: one :class:`servicekit.database.Database` (a Piccolo engine for its pool and the
migrations, SQL on asyncpg for every query), over the tables below.

The Piccolo tables describe the schema for the migrations; at run time nothing queries through them,
so they need no binding to the server's engine.
"""

from __future__ import annotations

from piccolo.table import Table

from posts.tables import (
    AccountState,
    Comment,
    IdempotencyKey,
    Like,
    ModerationRemoval,
    OutboxEvent,
    Post,
    Relation,
)
from servicekit.database import Connection, Database, is_outage, make_engine

__all__ = ["TABLES", "Connection", "Database", "is_outage", "make_engine"]

TABLES: list[type[Table]] = [
    Post,
    Comment,
    Like,
    IdempotencyKey,
    OutboxEvent,
    AccountState,
    ModerationRemoval,
    Relation,
]
