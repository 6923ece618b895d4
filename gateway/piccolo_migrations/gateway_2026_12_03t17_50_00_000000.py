"""The indexes blocks and mutes are read by, which Piccolo tables cannot declare: "who blocks me"
(every profile lookup and user search of a signed-in member asks it), and one's own lists, newest
first.

Written by hand from Piccolo's empty-migration template (``piccolo migrations new gateway``).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-03T17:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "blocks and mutes indexes"

FORWARDS = [
    "CREATE INDEX blocks_by_blocked ON blocks (blocked_id, blocker_id)",
    "CREATE INDEX blocks_listed ON blocks (blocker_id, created_at, blocked_id)",
    "CREATE INDEX mutes_listed ON mutes (muter_id, created_at, muted_id)",
]

BACKWARDS = [
    "DROP INDEX mutes_listed",
    "DROP INDEX blocks_listed",
    "DROP INDEX blocks_by_blocked",
]


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="gateway", description=DESCRIPTION)

    async def create():
        for statement in FORWARDS:
            await RawTable.raw(statement)

    async def drop():
        for statement in BACKWARDS:
            await RawTable.raw(statement)

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
