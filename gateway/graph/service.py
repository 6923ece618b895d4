"""The social graph: follows, follow requests to private accounts, and the lists made of them.

The gateway's database is the one source of truth for who follows whom; every change is also
written to the outbox as an event (``gateway/graph/events.py``), for the notifier. The posts service
keeps no copy: each call that may show someone else's followers-only post carries the caller's approved
follows (:meth:`Graph.following_ids`), read here at that moment, so an unfollow or a rejected request
counts from the next request on, and there is nothing to keep in sync.

Rules: nobody follows themselves, nor an account they block or that blocks them (``gateway/blocks/``);
a pair has one row, so following twice or asking twice is refused;
a follow of a public account is accepted at once, one of a private account waits for its owner.
Whether the target is private is read under a share lock on their row, so that an account turning
public (which accepts every waiting request in the same transaction) never leaves a request behind.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import uuid
from collections.abc import Sequence
from typing import Any

from gateway.graph import events
from gateway.graph.events import FollowChange
from gateway.users.errors import UserNotFound
from gateway.users.status import shown_sql
from idl.flock.events.v1.events import FollowCause
from idl.flock.wire import MAX_FOLLOWING
from servicekit.database import Connection, Database
from servicekit.errors import Conflict, Forbidden, Invalid, NotFound


class CannotFollowSelf(Invalid):
    """One cannot follow oneself."""

    code = "cannot_follow_self"
    title = "Cannot follow oneself"
    detail = "You cannot follow yourself."


class AlreadyFollowing(Conflict):
    """The caller already follows this account."""

    code = "already_following"
    title = "Already following"
    detail = "You already follow this account."


class AlreadyRequested(Conflict):
    """The caller's request to follow this private account is already waiting."""

    code = "already_requested"
    title = "Already requested"
    detail = "Your request to follow this account is already waiting for an answer."


class NotFollowing(NotFound):
    """There is no follow or request to take back."""

    code = "not_following"
    title = "Not following"
    detail = "You neither follow this account nor asked to."


class FollowRequestNotFound(NotFound):
    """No request from this account is waiting."""

    code = "follow_request_not_found"
    title = "Follow request not found"
    detail = "No request from this account is waiting."


class NotAFollower(NotFound):
    """The account to remove does not follow the caller."""

    code = "not_a_follower"
    title = "Not a follower"
    detail = "This account does not follow you."


class FollowingLimitReached(Conflict):
    """The caller follows (or asked to follow) as many accounts as allowed."""

    code = "following_limit_reached"
    title = "Following limit reached"
    detail = f"An account may follow (or ask to follow) at most {MAX_FOLLOWING} accounts."


class YouBlockThem(Conflict):
    """The caller blocks the account they want to follow."""

    code = "blocking"
    title = "You block this account"
    detail = "You block this account: unblock it before following it."


class ListHidden(Forbidden):
    """A private account's followers and following are for its owner and approved followers."""

    code = "private_account"
    title = "Private account"
    detail = "This account is private: only its approved followers see whom it follows and who follows it."


class Status(enum.Enum):
    ACCEPTED = "accepted"
    PENDING = "pending"


@dataclasses.dataclass(frozen=True, slots=True)
class Relationship:
    """How the caller and another account are linked, both ways."""

    following: bool  # the caller follows them
    followed_by: bool  # they follow the caller
    requested: bool  # the caller's request to follow them waits
    requested_by: bool  # their request to follow the caller waits
    blocking: bool  # the caller blocks them (``gateway/blocks/``)
    blocked_by: bool  # they block the caller
    muting: bool  # the caller mutes them now
    muting_notifications: bool  # ... their notifications too


@dataclasses.dataclass(frozen=True, slots=True)
class Link:
    """One entry of a list: an account, and since when it is there (accepted or asked)."""

    user_id: uuid.UUID
    username: str
    display_name: str
    since: datetime.datetime


@dataclasses.dataclass(frozen=True, slots=True)
class After:
    """Where a page of links starts: after this entry, in newest-first order."""

    since: datetime.datetime
    user_id: uuid.UUID


_FOLLOW = """
WITH target AS (SELECT id, is_private FROM users WHERE id = $2 FOR SHARE)
INSERT INTO follows (follower_id, followee_id, status, requested_at, accepted_at)
SELECT $1, id, CASE WHEN is_private THEN 'pending' ELSE 'accepted' END, $3,
       CASE WHEN is_private THEN NULL ELSE $3::timestamptz END
FROM target
ON CONFLICT (follower_id, followee_id) DO NOTHING
RETURNING status
"""
_STATUS = "SELECT status FROM follows WHERE follower_id = $1 AND followee_id = $2"
# Both accounts' rows, locked in one order: a block between them (which locks them for update,
# ``gateway/blocks/service.py``) either commits before this follow looks for it or waits for it.
_LOCK_PAIR = "SELECT id FROM users WHERE id = ANY($1::uuid[]) ORDER BY id FOR SHARE"
_BLOCKS_BETWEEN = """
SELECT EXISTS (SELECT 1 FROM blocks WHERE blocker_id = $1 AND blocked_id = $2) AS blocking,
       EXISTS (SELECT 1 FROM blocks WHERE blocker_id = $2 AND blocked_id = $1) AS blocked_by
"""
_RELATIONSHIP = """
SELECT (SELECT status FROM follows WHERE follower_id = $1 AND followee_id = $2) AS outgoing,
       (SELECT status FROM follows WHERE follower_id = $2 AND followee_id = $1) AS incoming,
       EXISTS (SELECT 1 FROM blocks WHERE blocker_id = $1 AND blocked_id = $2) AS blocking,
       EXISTS (SELECT 1 FROM blocks WHERE blocker_id = $2 AND blocked_id = $1) AS blocked_by,
       (SELECT notifications FROM mutes WHERE muter_id = $1 AND muted_id = $2
        AND (until IS NULL OR until > now())) AS muting_notifications
"""
_COUNT_FOLLOWING = "SELECT count(*) FROM follows WHERE follower_id = $1"
_UNFOLLOW = "DELETE FROM follows WHERE follower_id = $1 AND followee_id = $2 RETURNING status"
_ACCEPT = """
UPDATE follows SET status = 'accepted', accepted_at = $3
WHERE followee_id = $1 AND follower_id = $2 AND status = 'pending'
RETURNING 1
"""
_REJECT = "DELETE FROM follows WHERE followee_id = $1 AND follower_id = $2 AND status = 'pending' RETURNING 1"
_REMOVE_FOLLOWER = """
DELETE FROM follows WHERE followee_id = $1 AND follower_id = $2 AND status = 'accepted' RETURNING 1
"""
_ACCEPT_ALL = """
UPDATE follows SET status = 'accepted', accepted_at = $2
WHERE followee_id = $1 AND status = 'pending'
RETURNING follower_id
"""
_REJECT_ALL = "DELETE FROM follows WHERE followee_id = $1 AND status = 'pending' RETURNING follower_id"
_FOLLOWING_AMONG = """
SELECT followee_id FROM follows
WHERE follower_id = $1 AND followee_id = ANY($2::uuid[]) AND status = 'accepted'
"""
_FOLLOWING_IDS = f"""
SELECT followee_id FROM follows WHERE follower_id = $1 AND status = 'accepted' LIMIT {MAX_FOLLOWING}
"""  # noqa: S608 - a constant


def _list_query(*, of: str, other: str, status: Status, time: str) -> str:
    """Newest first: the accounts on the ``other`` side of ``of``'s links in ``status``, leaving out
    hidden (suspended, disabled, deleted) accounts."""
    return f"""
SELECT u.id AS user_id, u.username, u.display_name, f.{time} AS since
FROM follows f JOIN users u ON u.id = f.{other}
WHERE f.{of} = $1 AND f.status = '{status.value}' AND (f.{time}, f.{other}) < ($2, $3)
  AND {shown_sql("u")}
ORDER BY f.{time} DESC, f.{other} DESC
LIMIT $4
"""  # noqa: S608 - only constants are interpolated


_FOLLOWERS = _list_query(of="followee_id", other="follower_id", status=Status.ACCEPTED, time="accepted_at")
_FOLLOWING = _list_query(of="follower_id", other="followee_id", status=Status.ACCEPTED, time="accepted_at")
_REQUESTS = _list_query(of="followee_id", other="follower_id", status=Status.PENDING, time="requested_at")
_COUNTS = """
SELECT (SELECT count(*) FROM follows WHERE followee_id = $1 AND status = 'accepted') AS followers,
       (SELECT count(*) FROM follows WHERE follower_id = $1 AND status = 'accepted') AS following
"""

# Before every real entry in newest-first order: where the first page starts.
FIRST = After(datetime.datetime.max.replace(tzinfo=datetime.UTC), uuid.UUID(int=(1 << 128) - 1))


def _now() -> datetime.datetime:
    return datetime.datetime.now(tz=datetime.UTC)


def _links(rows: list[Any]) -> list[Link]:
    return [Link(row["user_id"], row["username"], row["display_name"], row["since"]) for row in rows]


class Graph:
    """Follows and requests on plain values; knows nothing of HTTP."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def follow(self, follower_id: uuid.UUID, followee_id: uuid.UUID) -> Relationship:
        """Follow an account: at once if it is public, as a request if it is private."""
        if follower_id == followee_id:
            raise CannotFollowSelf()
        async with self._database.transaction() as connection:
            await connection.execute(_LOCK_PAIR, [follower_id, followee_id])
            blocks = await connection.fetchrow(_BLOCKS_BETWEEN, follower_id, followee_id)
            if blocks["blocked_by"]:
                raise UserNotFound()  # the blocked account does not see the blocker at all
            if blocks["blocking"]:
                raise YouBlockThem()
            if await connection.fetchval(_COUNT_FOLLOWING, follower_id) >= MAX_FOLLOWING:
                raise FollowingLimitReached()
            inserted = await connection.fetchrow(_FOLLOW, follower_id, followee_id, _now())
            if inserted is None:
                existing = await connection.fetchrow(_STATUS, follower_id, followee_id)
                if existing is not None and existing["status"] == Status.PENDING.value:
                    raise AlreadyRequested()
                raise AlreadyFollowing()
            pending = inserted["status"] == Status.PENDING.value
            change = (
                FollowChange(follower_id, followee_id, "requested", "requested")
                if pending
                else FollowChange(follower_id, followee_id, "following", "followed")
            )
            await events.record(connection, follower_id, [change])
        return await self.relationship(follower_id, followee_id)

    async def unfollow(self, follower_id: uuid.UUID, followee_id: uuid.UUID) -> Relationship:
        """Stop following, or withdraw a waiting request."""
        async with self._database.transaction() as connection:
            removed = await connection.fetchrow(_UNFOLLOW, follower_id, followee_id)
            if removed is None:
                raise NotFollowing()
            cause: FollowCause = "withdrawn" if removed["status"] == Status.PENDING.value else "unfollowed"
            await events.record(
                connection, follower_id, [FollowChange(follower_id, followee_id, "none", cause)]
            )
        return await self.relationship(follower_id, followee_id)

    async def relationship(self, user_id: uuid.UUID, other_id: uuid.UUID) -> Relationship:
        [row] = await self._database.fetch(_RELATIONSHIP, user_id, other_id)
        accepted, pending = Status.ACCEPTED.value, Status.PENDING.value
        return Relationship(
            following=row["outgoing"] == accepted,
            followed_by=row["incoming"] == accepted,
            requested=row["outgoing"] == pending,
            requested_by=row["incoming"] == pending,
            blocking=row["blocking"],
            blocked_by=row["blocked_by"],
            muting=row["muting_notifications"] is not None,
            muting_notifications=bool(row["muting_notifications"]),
        )

    async def accept(self, owner_id: uuid.UUID, requester_id: uuid.UUID) -> None:
        async with self._database.transaction() as connection:
            if not await connection.fetch(_ACCEPT, owner_id, requester_id, _now()):
                raise FollowRequestNotFound()
            await events.record(
                connection, owner_id, [FollowChange(requester_id, owner_id, "following", "accepted")]
            )

    async def reject(self, owner_id: uuid.UUID, requester_id: uuid.UUID) -> None:
        async with self._database.transaction() as connection:
            if not await connection.fetch(_REJECT, owner_id, requester_id):
                raise FollowRequestNotFound()
            await events.record(
                connection, owner_id, [FollowChange(requester_id, owner_id, "none", "rejected")]
            )

    async def accept_all(self, owner_id: uuid.UUID) -> int:
        """Accept every waiting request; how many there were."""
        async with self._database.transaction() as connection:
            return await self.accept_all_waiting(owner_id, connection)

    async def accept_all_waiting(self, owner_id: uuid.UUID, connection: Connection) -> int:
        """:meth:`accept_all` on ``connection``, in the transaction that turns the account public."""
        rows = await connection.fetch(_ACCEPT_ALL, owner_id, _now())
        changes = [FollowChange(row["follower_id"], owner_id, "following", "accepted") for row in rows]
        await events.record(connection, owner_id, changes)
        return len(rows)

    async def reject_all(self, owner_id: uuid.UUID) -> int:
        """Reject every waiting request; how many there were."""
        async with self._database.transaction() as connection:
            rows = await connection.fetch(_REJECT_ALL, owner_id)
            changes = [FollowChange(row["follower_id"], owner_id, "none", "rejected") for row in rows]
            await events.record(connection, owner_id, changes)
        return len(rows)

    async def remove_follower(self, owner_id: uuid.UUID, follower_id: uuid.UUID) -> None:
        """Make an account stop following the owner (it may ask again)."""
        async with self._database.transaction() as connection:
            if not await connection.fetch(_REMOVE_FOLLOWER, owner_id, follower_id):
                raise NotAFollower()
            await events.record(
                connection, owner_id, [FollowChange(follower_id, owner_id, "none", "removed")]
            )

    async def may_list(self, viewer_id: uuid.UUID | None, owner_id: uuid.UUID, owner_private: bool) -> None:
        """Raise :class:`ListHidden` unless the viewer may see the owner's followers and following."""
        if not owner_private or viewer_id == owner_id:
            return
        if viewer_id is None or not (await self.relationship(viewer_id, owner_id)).following:
            raise ListHidden()

    async def followers(self, user_id: uuid.UUID, after: After, limit: int) -> list[Link]:
        """Up to ``limit`` of the user's followers after ``after``, most recent first."""
        return _links(await self._database.fetch(_FOLLOWERS, user_id, after.since, after.user_id, limit))

    async def following(self, user_id: uuid.UUID, after: After, limit: int) -> list[Link]:
        """Up to ``limit`` of the accounts the user follows after ``after``, most recent first."""
        return _links(await self._database.fetch(_FOLLOWING, user_id, after.since, after.user_id, limit))

    async def requests(self, owner_id: uuid.UUID, after: After, limit: int) -> list[Link]:
        """Up to ``limit`` of the requests waiting for the owner after ``after``, most recent first."""
        return _links(await self._database.fetch(_REQUESTS, owner_id, after.since, after.user_id, limit))

    async def counts(self, user_id: uuid.UUID) -> tuple[int, int]:
        """How many follow the user, and how many they follow (approved follows only)."""
        [row] = await self._database.fetch(_COUNTS, user_id)
        return row["followers"], row["following"]

    async def following_ids(
        self, user_id: uuid.UUID, among: Sequence[uuid.UUID] | None = None
    ) -> list[uuid.UUID]:
        """Everyone the user follows (approved), or those of ``among``: whose followers-only posts
        they may see."""
        if among is None:
            rows = await self._database.fetch(_FOLLOWING_IDS, user_id)
        else:
            rows = await self._database.fetch(_FOLLOWING_AMONG, user_id, list(among))
        return [row["followee_id"] for row in rows]
