"""Plain SQL on the gateway's pool, for the hot paths (authenticating a request, the authors of a
page), where Piccolo's query building costs more than the query itself."""

from __future__ import annotations

from typing import Any

from piccolo.engine.postgres import PostgresEngine

_engine: PostgresEngine | None = None


def use(engine: PostgresEngine) -> None:
    """Run queries on ``engine``'s pool (``gateway.database.bind_tables`` calls this)."""
    global _engine  # noqa: PLW0603 - one engine per process, set once at start-up
    _engine = engine


async def fetch(query: str, *args: object) -> list[Any]:
    """The rows of ``query`` (``$1``-style parameters)."""
    if _engine is None or _engine.pool is None:
        raise RuntimeError("the connection pool is not started")
    return list(await _engine.pool.fetch(query, *args))
