"""ClickHouse through clickhouse-connect: the embedded engine (chdb) locally, a server over HTTP in
production, with the same SQL.

clickhouse-connect has no async client for chdb, so every statement runs on threads of our own. The
embedded engine is not safe for concurrent use: with a ``chdb://`` URL all statements share ONE worker
thread (and so run one at a time, in the order they were asked for); against a server a few threads
run them side by side.

A call may carry a deadline (a :func:`time.monotonic` instant): a call whose deadline passed while it
waited for a thread does not start, and each statement runs with ``max_execution_time`` set to what
is left, so the server gives up on it when the caller has.
"""

from __future__ import annotations

import asyncio
import threading
import time
import urllib.parse
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import clickhouse_connect
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import ClickHouseError, DatabaseError, OperationalError
from clickhouse_connect.driver.insert import InsertContext

T = TypeVar("T")

# Statement settings for every call: inserts land (and are visible) before the call returns.
_SETTINGS = {"async_insert": 0}
_SERVER_THREADS = 4
# ClickHouse's TIMEOUT_EXCEEDED, raised when max_execution_time runs out.
_TIMEOUT_EXCEEDED = 159


class DeadlineExceeded(Exception):
    """The caller's deadline passed before or while ClickHouse worked on the call."""


def is_embedded(url: str) -> bool:
    return url.startswith("chdb:")


def is_outage(error: BaseException) -> bool:
    """Whether ``error`` means ClickHouse could not be reached (as opposed to a bad statement)."""
    return isinstance(error, OperationalError | ConnectionError | TimeoutError)


def is_timeout(error: BaseException) -> bool:
    return isinstance(error, DeadlineExceeded) or (
        isinstance(error, DatabaseError) and error.code == _TIMEOUT_EXCEEDED
    )


def _client(url: str, database: str | None = None, session: bool = False) -> Client:
    if is_embedded(url):  # each client is a connection of its own to the one engine
        return clickhouse_connect.get_client(dsn=url, settings=_SETTINGS)
    # Without a session a client serves several threads at once, which a session would refuse.
    options: dict[str, Any] = {"autogenerate_session_id": session, "settings": _SETTINGS}
    if database is not None:
        options["database"] = database
    return clickhouse_connect.get_client(dsn=url, **options)


def create_database(url: str) -> None:
    """Create the database named in a server URL, if missing (the embedded engine has ``default``)."""
    name = urllib.parse.urlparse(url).path.strip("/")
    if is_embedded(url) or not name:
        return
    client = _client(url, database="default")
    try:
        client.command(f"CREATE DATABASE IF NOT EXISTS `{name}`")
    finally:
        client.close()


class Connection:
    """The client as one call sees it: every statement shares the call's deadline."""

    def __init__(self, client: Client, deadline: float | None, contexts: dict[str, InsertContext]) -> None:
        self._client = client
        self._deadline = deadline
        self._contexts = contexts

    def _settings(self) -> dict[str, Any]:
        if self._deadline is None:
            return {}
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise DeadlineExceeded
        return {"max_execution_time": round(max(left, 0.001), 3)}

    def rows(self, sql: str, parameters: dict[str, Any] | None = None) -> Sequence[Sequence[Any]]:
        """The rows of a query, as tuples."""
        return self._client.query(sql, parameters=parameters, settings=self._settings()).result_rows

    def command(self, sql: str) -> None:
        self._client.command(sql, settings=self._settings())

    def insert(self, table: str, columns: Sequence[str], data: Sequence[Sequence[Any]]) -> None:
        """Insert column-oriented ``data`` (one sequence per column) as one block: one part."""
        key = f"{table}({','.join(columns)})"
        context = self._contexts.get(key)
        if context is None:  # the column types are looked up once per table and column list
            context = self._client.create_insert_context(table, list(columns), column_oriented=True)
            self._contexts[key] = context
        context.data = data
        self._client.insert(context=context, settings=self._settings())


class ClickHouse:
    """A clickhouse-connect client and the threads its statements run on."""

    def __init__(
        self, url: str, *, session: bool = False, executor: ThreadPoolExecutor | None = None
    ) -> None:
        self.url = url
        self.embedded = is_embedded(url)
        self._session = session
        self._owns_executor = executor is None
        threads = 1 if self.embedded else _SERVER_THREADS
        self._executor = executor or ThreadPoolExecutor(max_workers=threads, thread_name_prefix="clickhouse")
        self._client: Client | None = None
        self._lock = threading.Lock()
        # Insert contexts (column types looked up once). Only the consumer inserts, one batch at a
        # time, so no two threads use one context at once.
        self._contexts: dict[str, InsertContext] = {}

    def session(self) -> ClickHouse:
        """The same ClickHouse, on the same threads, through a client of its own with a session: its
        temporary tables are its own. For one user at a time (a session takes one call at a time)."""
        return ClickHouse(self.url, session=True, executor=self._executor)

    def _connected(self) -> Client:
        with self._lock:
            if self._client is None:
                self._client = _client(self.url, session=self._session)
            return self._client

    def _run(self, work: Callable[[Connection], T], deadline: float | None) -> T:
        if deadline is not None and time.monotonic() >= deadline:
            raise DeadlineExceeded
        return work(Connection(self._connected(), deadline, self._contexts))

    async def call(self, work: Callable[[Connection], T], deadline: float | None = None) -> T:
        """Run ``work`` on a ClickHouse thread and return its result."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._run, work, deadline)

    async def ping(self) -> bool:
        """Whether ClickHouse answers a trivial query within two seconds."""
        try:
            await self.call(lambda connection: connection.rows("SELECT 1"), time.monotonic() + 2)
        except (ClickHouseError, DeadlineExceeded, OSError):
            return False
        return True

    async def close(self) -> None:
        """Wait for the statements under way, then close the client (on its thread: a chdb client is
        used by one thread only)."""
        if self._client is not None:
            await self.call(lambda _: self._close_client())
        if self._owns_executor:
            await asyncio.get_running_loop().run_in_executor(None, self._executor.shutdown)

    def _close_client(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None
