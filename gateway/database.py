"""The gateway's PostgreSQL database: the engine built from settings, bound to every table."""

from __future__ import annotations

from piccolo.engine.postgres import PostgresEngine
from piccolo.table import Table

from gateway import sql
from gateway.auth.tables import AuthSession, RefreshToken
from gateway.graph.tables import Follow
from gateway.ratelimit import RateLimitBucket
from gateway.users.tables import User

TABLES: list[type[Table]] = [User, AuthSession, RefreshToken, RateLimitBucket, Follow]


class Engine(PostgresEngine):
    """Piccolo's PostgreSQL engine without the blocking connection it opens when constructed (to
    warn about old servers): building the app, or exporting its OpenAPI document, needs no database."""

    async def check_version(self) -> None:
        return None


def make_engine(db_url: str) -> PostgresEngine:
    """A Piccolo engine for ``db_url`` (any libpq URL, including unix-socket ones)."""
    return Engine(config={"dsn": db_url}, log_queries=False)


async def keep_session(connection: object) -> None:
    """asyncpg resets a connection's session (RESET ALL, UNLISTEN, advisory unlocks) each time it goes
    back to the pool: one round trip per query. Nothing here changes session state, and asyncpg still
    rolls back an unfinished transaction, so the reset is skipped."""


def bind_tables(engine: PostgresEngine) -> None:
    """Point every gateway table at ``engine`` rather than at whatever ``piccolo_conf`` names."""
    for table in TABLES:
        table._meta.db = engine
    sql.use(engine)
