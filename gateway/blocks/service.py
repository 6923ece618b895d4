"""Blocks and mutes: the protections every member has against other accounts.

- A block goes both ways for reading: neither account sees the other's posts and comments, and the
  blocked account does not see the blocker at all (profile, wall, lists: not found, as if it did not
  exist). Blocking ends the follows and pending requests between the two, both ways; while it lasts
  neither can follow the other. Unblocking restores nothing by itself.
- A mute goes one way and is the muter's alone: the muted account's posts and comments leave the
  muter's feed, comment lists and search (and, with ``notifications``, its notifications) until it is
  unmuted or its ``until`` passes; the muted account notices nothing.

The gateway's tables are the truth. Each change also writes the pair's new state, as a
:class:`~idl.flock.events.v1.events.RelationshipChanged`, to the gateway's outbox in the same
transaction; the posts service keeps a projection of it and filters its own answers by it
(decision 0018). Its version is the actor's ``relations_version``, bumped under the actor's row lock,
so two changes of one pair are ordered even when two gateway instances make them at once.

An account makes at most :data:`MAX_BLOCKS` blocks and :data:`MAX_MUTES` mutes: each read of the
posts service builds the set of its blocks and mutes once per statement.
"""

from __future__ import annotations

import dataclasses
import datetime
import uuid
from typing import Any

from uuid_utils.compat import uuid7

from gateway.graph import events as follow_events
from gateway.graph.events import FollowChange
from gateway.graph.service import After, Link
from gateway.outbox import OUTBOX
from idl.flock.events.v1.events import (
    RELATIONSHIPS_TOPIC,
    RelationshipChanged,
    encode,
    event_type,
    relationship_key,
)
from servicekit import outbox
from servicekit.database import Connection, Database
from servicekit.errors import Conflict, Invalid

MAX_BLOCKS = 10_000
MAX_MUTES = 10_000
# The longest timed mute: a year (longer is "until unmuted").
MAX_MUTE_SECONDS = 365 * 24 * 3600


class CannotBlockSelf(Invalid):
    code = "cannot_block_self"
    title = "Cannot block oneself"
    detail = "You cannot block yourself."


class CannotMuteSelf(Invalid):
    code = "cannot_mute_self"
    title = "Cannot mute oneself"
    detail = "You cannot mute yourself."


class BlockLimitReached(Conflict):
    code = "block_limit_reached"
    title = "Block limit reached"
    detail = f"An account may block at most {MAX_BLOCKS} accounts."


class MuteLimitReached(Conflict):
    code = "mute_limit_reached"
    title = "Mute limit reached"
    detail = f"An account may mute at most {MAX_MUTES} accounts."


@dataclasses.dataclass(frozen=True, slots=True)
class MutedLink:
    """An entry of one's list of mutes."""

    link: Link
    until: datetime.datetime | None
    notifications: bool


_ACTIVE_MUTE = "(m.until IS NULL OR m.until > now())"
# Both rows, locked in one order (a follow between them locks them too, ``gateway/graph/service.py``);
# the actor's row lock orders the changes of all its pairs, and the new value is the event's version.
_LOCK_PAIR = "SELECT id FROM users WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE"
_NEXT_VERSION = """
UPDATE users SET relations_version = relations_version + 1 WHERE id = $1 RETURNING relations_version
"""
_COUNT_BLOCKS = "SELECT count(*) FROM blocks WHERE blocker_id = $1"
_BLOCK = """
INSERT INTO blocks (blocker_id, blocked_id, created_at) VALUES ($1, $2, now())
ON CONFLICT (blocker_id, blocked_id) DO NOTHING
"""
# Follows and requests end both ways.
_END_FOLLOWS = """
DELETE FROM follows WHERE (follower_id = $1 AND followee_id = $2) OR (follower_id = $2 AND followee_id = $1)
RETURNING follower_id, followee_id
"""
_UNBLOCK = "DELETE FROM blocks WHERE blocker_id = $1 AND blocked_id = $2 RETURNING 1"
# Timed mutes that ended are gone for every purpose; they are cleared when the muter mutes again.
_CLEAR_ENDED_MUTES = f"DELETE FROM mutes m WHERE m.muter_id = $1 AND NOT {_ACTIVE_MUTE}"  # noqa: S608
_COUNT_MUTES = "SELECT count(*) FROM mutes WHERE muter_id = $1 AND muted_id <> $2"
_MUTE = """
INSERT INTO mutes (muter_id, muted_id, created_at, until, notifications) VALUES ($1, $2, now(), $3, $4)
ON CONFLICT (muter_id, muted_id) DO UPDATE SET until = EXCLUDED.until, notifications = EXCLUDED.notifications
"""
_UNMUTE = "DELETE FROM mutes WHERE muter_id = $1 AND muted_id = $2 RETURNING 1"
_BLOCKS = """
SELECT u.id AS user_id, u.username, u.display_name, b.created_at AS since
FROM blocks b JOIN users u ON u.id = b.blocked_id
WHERE b.blocker_id = $1 AND (b.created_at, b.blocked_id) < ($2, $3)
ORDER BY b.created_at DESC, b.blocked_id DESC
LIMIT $4
"""
_MUTES = f"""
SELECT u.id AS user_id, u.username, u.display_name, m.created_at AS since, m.until, m.notifications
FROM mutes m JOIN users u ON u.id = m.muted_id
WHERE m.muter_id = $1 AND {_ACTIVE_MUTE} AND (m.created_at, m.muted_id) < ($2, $3)
ORDER BY m.created_at DESC, m.muted_id DESC
LIMIT $4
"""  # noqa: S608 - only constants are interpolated
_PAIR_STATE = f"""
SELECT EXISTS (SELECT 1 FROM blocks WHERE blocker_id = $1 AND blocked_id = $2) AS blocking,
       (SELECT row(m.until, m.notifications) FROM mutes m WHERE m.muter_id = $1 AND m.muted_id = $2
        AND {_ACTIVE_MUTE}) AS mute
"""  # noqa: S608 - only constants are interpolated
_BLOCKERS_AMONG = "SELECT blocker_id FROM blocks WHERE blocked_id = $1 AND blocker_id = ANY($2::uuid[])"


def _link(row: Any) -> Link:
    return Link(row["user_id"], row["username"], row["display_name"], row["since"])


class Blocks:
    """Blocks and mutes on plain values; knows nothing of HTTP."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def blocks_me(self, viewer_id: uuid.UUID, account_ids: list[uuid.UUID]) -> set[uuid.UUID]:
        """Those of ``account_ids`` that block ``viewer_id``."""
        rows = await self._database.fetch(_BLOCKERS_AMONG, viewer_id, account_ids)
        return {row["blocker_id"] for row in rows}

    async def block(self, blocker_id: uuid.UUID, blocked_id: uuid.UUID) -> None:
        """Block an account (blocking it again changes nothing); the follows between the two end."""
        if blocker_id == blocked_id:
            raise CannotBlockSelf()
        async with self._database.transaction() as connection:
            await connection.execute(_LOCK_PAIR, [blocker_id, blocked_id])
            version = await connection.fetchval(_NEXT_VERSION, blocker_id)
            if await connection.fetchval(_COUNT_BLOCKS, blocker_id) >= MAX_BLOCKS:
                raise BlockLimitReached()
            await connection.execute(_BLOCK, blocker_id, blocked_id)
            ended = await connection.fetch(_END_FOLLOWS, blocker_id, blocked_id)
            await follow_events.record(
                connection,
                blocker_id,
                [FollowChange(row["follower_id"], row["followee_id"], "none", "blocked") for row in ended],
            )
            await _publish(connection, blocker_id, blocked_id, version)

    async def unblock(self, blocker_id: uuid.UUID, blocked_id: uuid.UUID) -> None:
        """Stop blocking an account (if it was); follows do not come back."""
        async with self._database.transaction() as connection:
            if await connection.fetchval(_UNBLOCK, blocker_id, blocked_id) is None:
                return  # there was no block: nothing changed, nothing to tell
            version = await connection.fetchval(_NEXT_VERSION, blocker_id)
            await _publish(connection, blocker_id, blocked_id, version)

    async def mute(
        self, muter_id: uuid.UUID, muted_id: uuid.UUID, *, seconds: int | None, notifications: bool
    ) -> None:
        """Mute an account, for ``seconds`` or until unmuted; muting it again sets both anew."""
        if muter_id == muted_id:
            raise CannotMuteSelf()
        async with self._database.transaction() as connection:
            version = await connection.fetchval(_NEXT_VERSION, muter_id)
            await connection.execute(_CLEAR_ENDED_MUTES, muter_id)
            if await connection.fetchval(_COUNT_MUTES, muter_id, muted_id) >= MAX_MUTES:
                raise MuteLimitReached()
            until = None
            if seconds is not None:
                until = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=seconds)
            await connection.execute(_MUTE, muter_id, muted_id, until, notifications)
            await _publish(connection, muter_id, muted_id, version)

    async def unmute(self, muter_id: uuid.UUID, muted_id: uuid.UUID) -> None:
        async with self._database.transaction() as connection:
            if await connection.fetchval(_UNMUTE, muter_id, muted_id) is None:
                return  # there was no mute (an ended one counts): nothing to tell
            version = await connection.fetchval(_NEXT_VERSION, muter_id)
            await _publish(connection, muter_id, muted_id, version)

    async def blocked(self, user_id: uuid.UUID, after: After, limit: int) -> list[Link]:
        """Up to ``limit`` of the accounts the user blocks after ``after``, most recent first."""
        rows = await self._database.fetch(_BLOCKS, user_id, after.since, after.user_id, limit)
        return [_link(row) for row in rows]

    async def muted(self, user_id: uuid.UUID, after: After, limit: int) -> list[MutedLink]:
        """Up to ``limit`` of the accounts the user mutes now after ``after``, most recent first."""
        rows = await self._database.fetch(_MUTES, user_id, after.since, after.user_id, limit)
        return [MutedLink(_link(row), row["until"], row["notifications"]) for row in rows]


async def _publish(connection: Connection, actor_id: uuid.UUID, target_id: uuid.UUID, version: int) -> None:
    """The pair's state after the change, into the outbox of the change's transaction."""
    row = await connection.fetchrow(_PAIR_STATE, actor_id, target_id)
    mute = row["mute"]
    event = RelationshipChanged(
        event_id=uuid7(),
        occurred_at=datetime.datetime.now(datetime.UTC),
        actor_id=actor_id,
        target_id=target_id,
        version=version,
        blocking=row["blocking"],
        muting=mute is not None,
        muted_until=mute[0] if mute is not None else None,
        mute_notifications=bool(mute[1]) if mute is not None else False,
    )
    await outbox.write(
        connection,
        OUTBOX,
        [
            outbox.Row(
                event_id=event.event_id,
                topic=RELATIONSHIPS_TOPIC,
                key=relationship_key(actor_id, target_id),
                event_type=event_type(event),
                payload=encode(event).decode(),
                occurred_at=event.occurred_at,
            )
        ],
    )
