"""The indexes the account events need (``posts/accounts.py``): a deleted account's comments found
by author for its purge, and the hidden accounts alone in the index every read path probes.

Written by hand from Piccolo's empty-migration template (``piccolo migrations new posts``).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-03T17:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "account purge indexes"

FORWARDS = [
    # A purge walks an author's comments in id order (``_COMMENTS`` in posts/accounts.py).
    "CREATE INDEX comments_by_author ON comments (author_id, id)",
    # The read paths' NOT EXISTS probes only hidden accounts: purged deleted ones, and accounts
    # active again, leave this index, so it stays the size of what is hidden now.
    "CREATE INDEX account_states_hidden ON account_states (account_id) WHERE hidden",
]

BACKWARDS = [
    "DROP INDEX account_states_hidden",
    "DROP INDEX comments_by_author",
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
