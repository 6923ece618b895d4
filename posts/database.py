"""The posts database: a Piccolo engine (for its pool and the migrations) and SQL on asyncpg.

The Piccolo tables describe the schema for the migrations; at run time nothing queries through them,
so they need no binding to the server's engine.

Queries are plain SQL with ``$n`` parameters on a connection from the engine's pool. A transaction is
a connection checked out for its duration; when a call's deadline cancels the task, asyncpg cancels
the statement on the server and the transaction rolls back.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from piccolo.engine.postgres import PostgresEngine
from piccolo.table import Table

from posts.tables import Comment, IdempotencyKey, Like, OutboxEvent, Post

TABLES: list[type[Table]] = [Post, Comment, Like, IdempotencyKey, OutboxEvent]

# An asyncpg connection (asyncpg ships no type hints).
Connection = Any


class _Engine(PostgresEngine):
    # Built without the blocking server-version probe: importing piccolo_conf needs no database.
    async def check_version(self) -> None:
        return None


def make_engine(db_url: str) -> PostgresEngine:
    """A Piccolo engine for ``db_url`` (any libpq URL, unix sockets included)."""
    return _Engine(config={"dsn": db_url}, log_queries=False)


class Database:
    """Connections from the engine's pool, which the server's lifespan starts and closes."""

    def __init__(self, engine: PostgresEngine) -> None:
        self.engine = engine

    @property
    def _pool(self) -> Any:
        if self.engine.pool is None:
            raise RuntimeError("the connection pool is not started")
        return self.engine.pool

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        """A connection for reads (each statement sees the data committed when it starts)."""
        async with self._pool.acquire() as connection:
            yield connection

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        """A connection in a transaction, committed when the block ends, rolled back if it raises."""
        async with self._pool.acquire() as connection, connection.transaction():
            yield connection


async def keep_session(connection: Connection) -> None:
    """asyncpg resets a connection's session (RESET ALL, UNLISTEN, advisory unlocks) each time it goes
    back to the pool: one round trip per call. Nothing here changes session state, and asyncpg still
    rolls back an unfinished transaction, so the reset is skipped."""


def is_outage(error: BaseException) -> bool:
    """Whether ``error`` means the database could not be reached or went away (worth retrying later),
    rather than a bug."""
    return isinstance(
        error,
        OSError  # refused, reset, timed out
        | asyncpg.PostgresConnectionError  # SQLSTATE class 08, and a connection lost mid-call
        | asyncpg.AdminShutdownError
        | asyncpg.CrashShutdownError
        | asyncpg.CannotConnectNowError  # starting up or shutting down
        | asyncpg.TooManyConnectionsError,
    )
