"""The indexes the blocks and mutes need (``posts/relations.py``): the pairs that block, from either
side, and those that mute, alone in the indexes every read path probes, so that the relations ended
since (their rows stay, for their versions) cost nothing.

Written by hand from Piccolo's empty-migration template (``piccolo migrations new posts``).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-03T17:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "relation indexes"

FORWARDS = [
    # The accounts a caller blocks, and a wall's one check of "does the caller block the author".
    "CREATE INDEX relations_blocking ON relations (actor_id, target_id) WHERE blocking",
    # The accounts that block a caller: any number of them, one range of this index.
    "CREATE INDEX relations_blocked ON relations (target_id, actor_id) WHERE blocking",
    # The accounts a caller mutes; the end of a timed mute is in the index, so that no table row is
    # read to tell whether it is still on.
    "CREATE INDEX relations_muting ON relations (actor_id, target_id) INCLUDE (muted_until) WHERE muting",
]

BACKWARDS = [
    "DROP INDEX relations_muting",
    "DROP INDEX relations_blocked",
    "DROP INDEX relations_blocking",
]


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="posts", description=DESCRIPTION)

    async def create():
        for statement in FORWARDS:
            await RawTable.raw(statement)

    async def drop():
        for statement in BACKWARDS:
            await RawTable.raw(statement)

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
