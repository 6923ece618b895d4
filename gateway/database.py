"""The gateway's PostgreSQL database: the engine built from settings, bound to every table."""

from __future__ import annotations

from piccolo.engine.postgres import PostgresEngine
from piccolo.table import Table

from gateway.auth.tables import AuthSession, RefreshToken
from gateway.ratelimit import RateLimitBucket
from gateway.users.tables import User

TABLES: list[type[Table]] = [User, AuthSession, RefreshToken, RateLimitBucket]


class Engine(PostgresEngine):
    """Piccolo's PostgreSQL engine without the blocking connection it opens when constructed (to
    warn about old servers): building the app, or exporting its OpenAPI document, needs no database."""

    async def check_version(self) -> None:
        return None


def make_engine(db_url: str) -> PostgresEngine:
    """A Piccolo engine for ``db_url`` (any libpq URL, including unix-socket ones)."""
    return Engine(config={"dsn": db_url}, log_queries=False)


def bind_tables(engine: PostgresEngine) -> None:
    """Point every gateway table at ``engine`` rather than at whatever ``piccolo_conf`` names."""
    for table in TABLES:
        table._meta.db = engine
