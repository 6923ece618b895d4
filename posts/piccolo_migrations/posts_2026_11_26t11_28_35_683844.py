"""The outbox relay's needs: a notification on every insert into the outbox, so that the relay wakes
at once instead of at its next poll, and an index for deleting old published rows.

Written by hand from Piccolo's empty-migration template (``piccolo migrations new posts``).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-26T11:28:35:683844"
VERSION = "1.38.0"
DESCRIPTION = "outbox notify"

# One notification per statement, not per row (a thread deleted with its replies is one statement);
# PostgreSQL delivers it when the transaction commits and folds repeats within a transaction into one.
# The channel name is posts.relay.CHANNEL.
FORWARDS = [
    """
    CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_notify('flock_outbox', '');
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify()
    """,
    # The relay's housekeeping: published rows, oldest first (see posts.relay.RETENTION).
    "CREATE INDEX outbox_published_at ON outbox (published_at) WHERE published_at IS NOT NULL",
]

BACKWARDS = [
    "DROP INDEX outbox_published_at",
    "DROP TRIGGER outbox_notify ON outbox",
    "DROP FUNCTION outbox_notify()",
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
