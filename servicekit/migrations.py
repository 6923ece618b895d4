"""Hand-written Piccolo migrations share one shape: what Piccolo's table definitions cannot declare
(partial and composite indexes), created going forwards and dropped going backwards."""

from __future__ import annotations

from collections.abc import Mapping

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table


class _RawTable(Table):
    """A table class only for its ``raw`` queries on the migration's engine."""


def index_migration(
    migration_id: str, app_name: str, description: str, indexes: Mapping[str, str]
) -> MigrationManager:
    """A migration that creates ``indexes`` (name → ``table (columns) [WHERE …]``) and, backwards,
    drops them."""
    manager = MigrationManager(migration_id=migration_id, app_name=app_name, description=description)

    async def create() -> None:
        for name, definition in indexes.items():
            await _RawTable.raw(f"CREATE INDEX {name} ON {definition}")

    async def drop() -> None:
        for name in indexes:
            await _RawTable.raw(f"DROP INDEX {name}")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
