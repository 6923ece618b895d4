"""Indexes for the social graph's lists: partial, composite ones, which Piccolo's table definitions
cannot declare. Each list is newest first with keyset pagination on (time, user id).

Written by hand from Piccolo's empty-migration template (``piccolo migrations new gateway``).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-26T15:09:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "follows indexes"

INDEXES = {
    # A user's followers, most recent first; also "does X follow me".
    "follows_followers": "follows (followee_id, accepted_at, follower_id) WHERE status = 'accepted'",
    # Whom a user follows, most recent first; and the whole list, read by every request that passes it
    # to the posts service (an index-only scan).
    "follows_following": "follows (follower_id, accepted_at, followee_id) WHERE status = 'accepted'",
    # Requests waiting for a private account's owner, most recent first.
    "follows_requests": "follows (followee_id, requested_at, follower_id) WHERE status = 'pending'",
}


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="gateway", description=DESCRIPTION)

    async def create():
        for name, definition in INDEXES.items():
            await RawTable.raw(f"CREATE INDEX {name} ON {definition}")

    async def drop():
        for name in INDEXES:
            await RawTable.raw(f"DROP INDEX {name}")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
