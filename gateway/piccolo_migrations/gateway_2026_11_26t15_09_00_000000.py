"""Indexes for the social graph's lists: partial, composite ones, which Piccolo's table definitions
cannot declare. Each list is newest first with keyset pagination on (time, user id).

Written by hand from Piccolo's empty-migration template (``piccolo migrations new gateway``).
"""

from servicekit.migrations import index_migration

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


async def forwards():
    return index_migration(ID, "gateway", DESCRIPTION, INDEXES)
