"""A service's PostgreSQL database: a Piccolo engine (for its pool and the migrations) and SQL on
asyncpg through one object.

The Piccolo tables describe the schema for the migrations; at run time every query is plain SQL with
``$n`` parameters on a connection from the engine's pool, through :class:`Database`: a read on any
connection (:meth:`Database.fetch`), or several statements in one transaction
(:meth:`Database.transaction`). When a call's deadline cancels the task, asyncpg cancels the
statement on the server and the transaction rolls back.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from piccolo.engine.postgres import PostgresEngine

# An asyncpg connection and record (asyncpg ships no type hints).
Connection = Any
Row = Any

# The errors that mean the database could not be reached or went away (worth retrying later), rather
# than a bug.
OUTAGE_ERRORS: tuple[type[Exception], ...] = (
    OSError,  # refused, reset, timed out
    asyncpg.PostgresConnectionError,  # SQLSTATE class 08, and a connection lost mid-call
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.CannotConnectNowError,  # starting up or shutting down
    asyncpg.TooManyConnectionsError,
    asyncpg.InterfaceError,  # the pool is closing, or a connection was released under a query
)


def is_outage(error: BaseException) -> bool:
    """Whether ``error`` means the database is out of reach (see :data:`OUTAGE_ERRORS`)."""
    return isinstance(error, OUTAGE_ERRORS)


class _Engine(PostgresEngine):
    # Built without the blocking server-version probe: importing piccolo_conf, building an app or
    # exporting its OpenAPI document needs no database.
    async def check_version(self) -> None:
        return None


def make_engine(db_url: str) -> PostgresEngine:
    """A Piccolo engine for ``db_url`` (any libpq URL, unix sockets included)."""
    return _Engine(config={"dsn": db_url}, log_queries=False)


async def keep_session(connection: Connection) -> None:
    """asyncpg resets a connection's session (RESET ALL, UNLISTEN, advisory unlocks) each time it goes
    back to the pool: one round trip per call. Nothing here changes session state, and asyncpg still
    rolls back an unfinished transaction, so the reset is skipped."""


class Database:
    """Connections from one pool, which the process's lifespan opens (:meth:`open`) and closes."""

    def __init__(self, db_url: str, *, pool_size: int = 10) -> None:
        self.engine = make_engine(db_url)
        self._pool_size = pool_size

    async def open(self) -> None:
        """Start the pool (one connection at first, up to ``pool_size``)."""
        await self.engine.start_connection_pool(min_size=1, max_size=self._pool_size, reset=keep_session)

    async def close(self) -> None:
        await self.engine.close_connection_pool()

    @property
    def _pool(self) -> Any:
        if self.engine.pool is None:
            raise RuntimeError("the connection pool is not started")
        return self.engine.pool

    async def fetch(self, query: str, *args: object) -> list[Row]:
        """The rows of one statement (its own implicit transaction)."""
        return list(await self._pool.fetch(query, *args))

    async def fetchrow(self, query: str, *args: object) -> Row | None:
        """The first row of one statement, or None."""
        return await self._pool.fetchrow(query, *args)

    async def execute(self, query: str, *args: object) -> str:
        """Run one statement; its status (``UPDATE 3``)."""
        return str(await self._pool.execute(query, *args))

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        """A connection for several reads (each statement sees the data committed when it starts)."""
        async with self._pool.acquire() as connection:
            yield connection

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        """A connection in a transaction, committed when the block ends, rolled back if it raises."""
        async with self._pool.acquire() as connection, connection.transaction():
            yield connection
