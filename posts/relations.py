"""Blocks and mutes: the gateway's ``RelationshipChanged`` events, consumed from
:data:`~idl.flock.events.v1.events.RELATIONSHIPS_TOPIC` (by :class:`posts.accounts.AccountsConsumer`)
into ``relations``, one row per pair and direction, the newest version kept whatever order copies
arrive in; and the SQL with which every read path enforces them.

- A block, either way between the caller and an author, hides the author's posts and comments from
  the caller everywhere, and makes their posts (and comments) not found for the caller's likes,
  comments and replies. Taking one's own like back stays allowed.
- A mute, the caller's of an author, while on (``muted_until`` null or still ahead: a timed mute ends
  by itself), leaves the author out of the caller's feed, comment lists and search only.
- Staff's look-ups by id and walls ignore blocks, for moderation; their listings follow their own
  blocks and mutes. Anonymous callers have none (their NULL id matches no row), and one's own
  content is never hidden from oneself: an account's events about itself are not applied.

Bounds: the gateway lets an account block at most 10,000 accounts and mute at most 10,000, so a
caller's own blocks and mutes, which a listing reads once per statement (:func:`not_blocked`), are at
most 20,000 index entries. Being blocked by others is unbounded, but costs one range scan of the index
of blocked accounts (``relations_blocked``, on ``(target_id) WHERE blocking``) per statement.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence

from idl.flock.events.v1.events import RelationshipChanged
from posts.database import Connection, Database

_APPLY = """
INSERT INTO relations
    (actor_id, target_id, version, blocking, muting, muted_until, mute_notifications, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, now())
ON CONFLICT (actor_id, target_id) DO UPDATE
SET version = EXCLUDED.version, blocking = EXCLUDED.blocking, muting = EXCLUDED.muting,
    muted_until = EXCLUDED.muted_until, mute_notifications = EXCLUDED.mute_notifications,
    updated_at = now()
WHERE relations.version < EXCLUDED.version
"""


async def apply(database: Database, changes: Sequence[RelationshipChanged]) -> None:
    """Keep the newest of ``changes`` per pair, in one transaction. An account's relation to itself
    is dropped: it would hide its own content from it."""
    async with database.transaction() as connection:
        # One order for every batch: concurrent consumers lock rows in the same order.
        for change in sorted(changes, key=lambda c: (str(c.actor_id), str(c.target_id), c.version)):
            if change.actor_id == change.target_id:
                continue
            await connection.execute(
                _APPLY,
                change.actor_id,
                change.target_id,
                change.version,
                change.blocking,
                change.muting,
                change.muted_until,
                change.mute_notifications,
            )


def _blocks(caller: str) -> str:
    return (
        f"SELECT target_id FROM relations WHERE actor_id = {caller}::uuid AND blocking"  # noqa: S608
        f" UNION ALL SELECT actor_id FROM relations WHERE target_id = {caller}::uuid AND blocking"
    )


def _mutes(caller: str) -> str:
    return (
        f"SELECT target_id FROM relations WHERE actor_id = {caller}::uuid AND muting"  # noqa: S608
        " AND (muted_until IS NULL OR muted_until > now())"
    )


def not_blocked(author: str, caller: str, *, nor_muted: bool = False) -> str:
    """SQL for "no block stands between ``author`` and ``caller`` (SQL expressions; the caller NULL
    for anyone)", and with ``nor_muted`` "nor does the caller mute the author", for a statement that
    filters many rows (a search, a comment list, a list of likes, a feed's authors).

    The set is uncorrelated (it names only the caller), so PostgreSQL reads it once per statement and
    hashes it; each row is then one hash probe, however many rows there are. Account ids are never
    NULL, so NOT IN means what it says."""
    accounts = _blocks(caller) + (f" UNION ALL {_mutes(caller)}" if nor_muted else "")
    return f"{author} NOT IN ({accounts})"


def no_block_between(author: str, caller: str) -> str:
    """SQL for "no block stands between ``author`` and ``caller``", as two probes of the blocking
    index: for a statement of one author (a wall, where it names parameters only and is checked once
    before the scan) or of a few posts (by id), where reading the caller's whole set would cost more
    than the rows it filters."""
    return (
        "NOT EXISTS (SELECT 1 FROM relations AS block"  # noqa: S608
        f" WHERE block.actor_id = {caller}::uuid AND block.target_id = {author} AND block.blocking)"
        " AND NOT EXISTS (SELECT 1 FROM relations AS block"
        f" WHERE block.actor_id = {author} AND block.target_id = {caller}::uuid AND block.blocking)"
    )


_ANY_BLOCK = """
SELECT EXISTS (
    SELECT 1 FROM relations WHERE blocking AND actor_id = $1 AND target_id = ANY($2::uuid[])
) OR EXISTS (
    SELECT 1 FROM relations WHERE blocking AND target_id = $1 AND actor_id = ANY($2::uuid[])
)
"""


async def blocked(connection: Connection, user_id: uuid.UUID | None, authors: Collection[uuid.UUID]) -> bool:
    """Whether a block stands, either way, between ``user_id`` (None: anonymous, who has none) and
    any of ``authors``."""
    if user_id is None:
        return False
    return bool(await connection.fetchval(_ANY_BLOCK, user_id, list(authors)))
