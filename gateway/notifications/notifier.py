"""From events to notifications: what each event of the posts, follows and relationships topics does
to the ``notifications`` of its recipients (``gateway/notifications/tables.py``).

Rules, applied when an event is applied:

- nobody is told about their own action, nor about an action of an account that is hidden
  (suspended, disabled, deleted), that a block stands between, or that the recipient mutes with its
  notifications;
- a mention is for an account that may read what mentions it: anyone for a public post, the author's
  approved followers for a followers-only one, nobody for a private one;
- likes of one post within a UTC day are one entry, with every actor (the list shows the count and the
  most recent few); an unlike takes its actor out, and an entry left with nobody goes;
- undoing removes: an unfollow removes the ``follow``, an answered or withdrawn request its
  ``follow_request``, a deleted post or comment every entry about it, a block every entry between
  the two accounts, and a post turned followers-only or private the mentions of those who no longer
  may read it.

Exactly once: each event is applied in a transaction that first records its id in
``notifier_events``; a redelivered or replayed event finds its id there and changes nothing. Events
older than :data:`HORIZON` are ignored (and ids are kept a day longer than that), so a replay from
the start of a topic does not bring back what members deleted or what expired.
"""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from uuid_utils.compat import uuid7

from gateway.users.status import hidden_sql
from idl.flock.events.v1.events import (
    CommentAdded,
    CommentDeleted,
    Event,
    FollowChanged,
    PostCreated,
    PostDeleted,
    PostLiked,
    PostUnliked,
    PostUpdated,
    RelationshipChanged,
    Visibility,
)
from servicekit.database import Connection

# Events older than this make no notification; notifications older than this are deleted.
HORIZON = datetime.timedelta(days=30)
# The ids of applied events are kept this long (more than HORIZON: see the module's docstring).
LEDGER_RETENTION = HORIZON + datetime.timedelta(days=1)

NotifierInput = Event | FollowChanged | RelationshipChanged

_FIRST_TIME = """
INSERT INTO notifier_events (event_id, processed_at) VALUES ($1, now())
ON CONFLICT (event_id) DO NOTHING RETURNING 1
"""
# Of ``$1`` (recipients), those who may be told about what ``$2`` did to content of ``$3`` with
# visibility ``$4`` (see the rules above).
_MAY_TELL = f"""
SELECT r.id FROM users r JOIN users a ON a.id = $2
WHERE r.id = ANY($1::uuid[]) AND r.id <> a.id AND r.status <> 'deleted' AND NOT {hidden_sql("a")}
  AND NOT EXISTS (SELECT 1 FROM blocks b WHERE (b.blocker_id = r.id AND b.blocked_id = a.id)
                                          OR (b.blocker_id = a.id AND b.blocked_id = r.id))
  AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = r.id AND b.blocked_id = $3)
  AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = $3 AND b.blocked_id = r.id)
  AND NOT EXISTS (SELECT 1 FROM mutes m WHERE m.muter_id = r.id AND m.muted_id = a.id AND m.notifications
                  AND (m.until IS NULL OR m.until > now()))
  AND ($4 = 'public' OR r.id = $3
       OR ($4 = 'followers' AND EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = r.id
                                        AND f.followee_id = $3 AND f.status = 'accepted')))
"""  # noqa: S608 - only constants are interpolated
_BY_USERNAMES = "SELECT id FROM users WHERE username = ANY($1::text[])"
_ENTRY = """
INSERT INTO notifications
    (id, recipient_id, kind, group_key, post_id, comment_id, data, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $8)
ON CONFLICT (recipient_id, group_key) DO UPDATE SET kind = EXCLUDED.kind
RETURNING id
"""
_ADD_ACTOR = """
INSERT INTO notification_actors (notification_id, actor_id, acted_at) VALUES ($1, $2, $3)
ON CONFLICT (notification_id, actor_id) DO NOTHING
RETURNING 1
"""
# A new actor moves the entry up and makes it unread again.
_BUMP = """
UPDATE notifications SET seq = nextval('notification_seq'), updated_at = $2, read_at = NULL WHERE id = $1
"""
_REMOVE_LIKER = """
DELETE FROM notification_actors a USING notifications n
WHERE a.notification_id = n.id AND n.recipient_id = $1 AND n.kind = 'like' AND n.post_id = $2
  AND a.actor_id = $3
RETURNING a.notification_id
"""
_DROP_IF_EMPTY = """
DELETE FROM notifications n
WHERE n.id = ANY($1::uuid[])
  AND NOT EXISTS (SELECT 1 FROM notification_actors a WHERE a.notification_id = n.id)
"""
_DROP_KEY = "DELETE FROM notifications WHERE recipient_id = $1 AND group_key = $2"
_DROP_ABOUT_POST = "DELETE FROM notifications WHERE post_id = $1"
_DROP_ABOUT_COMMENT = "DELETE FROM notifications WHERE comment_id = $1"
# A post now for fewer readers: the entries about it of those who may no longer read it (its author
# reads it always).
_DROP_UNREADABLE = """
DELETE FROM notifications n WHERE n.post_id = $1 AND n.recipient_id <> $2
  AND ($3 = 'private' OR NOT EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = n.recipient_id
                                     AND f.followee_id = $2 AND f.status = 'accepted'))
"""
_REMOVE_BETWEEN = """
DELETE FROM notification_actors a USING notifications n
WHERE a.notification_id = n.id
  AND ((n.recipient_id = $1 AND a.actor_id = $2) OR (n.recipient_id = $2 AND a.actor_id = $1))
RETURNING a.notification_id
"""
_FORGET_OLD_EVENTS = "DELETE FROM notifier_events WHERE processed_at < now() - $1::interval"
_FORGET_OLD_NOTIFICATIONS = "DELETE FROM notifications WHERE updated_at < now() - $1::interval"


def _day(at: datetime.datetime) -> str:
    return at.astimezone(datetime.UTC).date().isoformat()


class Entry:
    """What one action adds to one recipient's notifications."""

    __slots__ = ("comment_id", "data", "group_key", "kind", "post_id")

    def __init__(
        self,
        kind: str,
        group_key: str,
        *,
        post_id: uuid.UUID | None = None,
        comment_id: uuid.UUID | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        self.kind = kind
        self.group_key = group_key
        self.post_id = post_id
        self.comment_id = comment_id
        self.data = data or {}


async def add(
    connection: Connection,
    recipient_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    entry: Entry,
    at: datetime.datetime,
) -> None:
    """Add ``actor_id``'s action to the recipient's entry ``entry.group_key`` (made if missing). An
    actor already in the entry changes nothing; ``actor_id`` None (staff from the command line) makes
    an entry without actors."""
    entry_id = await connection.fetchval(
        _ENTRY,
        uuid7(),
        recipient_id,
        entry.kind,
        entry.group_key,
        entry.post_id,
        entry.comment_id,
        json.dumps(entry.data),
        at,
    )
    if actor_id is None or await connection.fetchval(_ADD_ACTOR, entry_id, actor_id, at):
        await connection.execute(_BUMP, entry_id, at)


async def may_tell(
    connection: Connection,
    recipients: Iterable[uuid.UUID],
    actor_id: uuid.UUID,
    author_id: uuid.UUID,
    visibility: Visibility = "public",
) -> set[uuid.UUID]:
    """Those of ``recipients`` who may be told that ``actor_id`` did something to content of
    ``author_id`` with ``visibility``."""
    wanted = list(set(recipients))
    if not wanted:
        return set()
    rows = await connection.fetch(_MAY_TELL, wanted, actor_id, author_id, visibility)
    return {row["id"] for row in rows}


async def apply(connection: Connection, event: NotifierInput) -> bool:
    """Apply ``event`` on ``connection`` (in a transaction); False if it was applied before or is
    too old to matter."""
    if datetime.datetime.now(tz=datetime.UTC) - event.occurred_at > HORIZON:
        return False
    if not await connection.fetchval(_FIRST_TIME, event.event_id):
        return False
    match event:
        case PostLiked():
            await _liked(connection, event)
        case PostUnliked():
            await _unliked(connection, event)
        case CommentAdded():
            await _commented(connection, event)
        case PostCreated() | PostUpdated():
            await _posted(connection, event)
        case PostDeleted():
            await connection.execute(_DROP_ABOUT_POST, event.post_id)
        case CommentDeleted():
            await connection.execute(_DROP_ABOUT_COMMENT, event.comment_id)
        case FollowChanged():
            await _follow_changed(connection, event)
        case RelationshipChanged() if event.blocking:
            await _drop_emptied(
                connection, await connection.fetch(_REMOVE_BETWEEN, event.actor_id, event.target_id)
            )
    return True


async def forget_old(connection: Connection) -> None:
    """Delete event ids and notifications past their time."""
    await connection.execute(_FORGET_OLD_EVENTS, LEDGER_RETENTION)
    await connection.execute(_FORGET_OLD_NOTIFICATIONS, HORIZON)


async def _liked(connection: Connection, event: PostLiked) -> None:
    author = event.post_author_id
    if await may_tell(connection, [author], event.actor_id, author):
        entry = Entry("like", f"like:{event.post_id}:{_day(event.occurred_at)}", post_id=event.post_id)
        await add(connection, author, event.actor_id, entry, event.occurred_at)


async def _unliked(connection: Connection, event: PostUnliked) -> None:
    rows = await connection.fetch(_REMOVE_LIKER, event.post_author_id, event.post_id, event.actor_id)
    await _drop_emptied(connection, rows)


async def _drop_emptied(connection: Connection, rows: Sequence[Any]) -> None:
    if rows:
        await connection.execute(_DROP_IF_EMPTY, list({row["notification_id"] for row in rows}))


async def _commented(connection: Connection, event: CommentAdded) -> None:
    author, actor, at = event.post_author_id, event.actor_id, event.occurred_at
    told: set[uuid.UUID] = set()
    replied_to = event.replied_to_author_id
    if replied_to is not None and await may_tell(
        connection, [replied_to], actor, author, event.post_visibility
    ):
        entry = Entry(
            "reply", f"reply:{event.comment_id}", post_id=event.post_id, comment_id=event.comment_id
        )
        await add(connection, replied_to, actor, entry, at)
        told.add(replied_to)
    if author not in told and await may_tell(connection, [author], actor, author):
        entry = Entry(
            "comment", f"comment:{event.comment_id}", post_id=event.post_id, comment_id=event.comment_id
        )
        await add(connection, author, actor, entry, at)
        told.add(author)
    mentioned = await _mentioned(connection, event.mentions) - told
    for recipient in await may_tell(connection, mentioned, actor, author, event.post_visibility):
        entry = Entry(
            "mention", f"mention:{event.comment_id}", post_id=event.post_id, comment_id=event.comment_id
        )
        await add(connection, recipient, actor, entry, at)


async def _posted(connection: Connection, event: PostCreated | PostUpdated) -> None:
    author = event.post_author_id
    if isinstance(event, PostUpdated) and event.visibility != "public":
        await connection.execute(_DROP_UNREADABLE, event.post_id, author, event.visibility)
    mentioned = await _mentioned(connection, event.mentions)
    for recipient in await may_tell(connection, mentioned, author, author, event.visibility):
        # Keyed by the post: a mention kept through an edit is told once.
        entry = Entry("mention", f"mention:{event.post_id}", post_id=event.post_id)
        await add(connection, recipient, author, entry, event.occurred_at)


async def _mentioned(connection: Connection, usernames: Sequence[str]) -> set[uuid.UUID]:
    if not usernames:
        return set()
    return {row["id"] for row in await connection.fetch(_BY_USERNAMES, list(usernames))}


async def _follow_changed(connection: Connection, event: FollowChanged) -> None:
    follower, followee, at = event.follower_id, event.followee_id, event.occurred_at
    # Whatever the change, a request it answered or withdrew is no longer waiting.
    if event.state != "requested":
        await connection.execute(_DROP_KEY, followee, f"follow_request:{follower}")
    if event.state == "requested":
        if await may_tell(connection, [followee], follower, followee):
            await add(
                connection, followee, follower, Entry("follow_request", f"follow_request:{follower}"), at
            )
    elif event.cause == "followed":
        if await may_tell(connection, [followee], follower, followee):
            await add(connection, followee, follower, Entry("follow", f"follow:{follower}"), at)
    elif event.cause == "accepted":
        if await may_tell(connection, [follower], followee, followee):
            await add(
                connection, follower, followee, Entry("follow_accepted", f"follow_accepted:{followee}"), at
            )
    elif event.state == "none":
        await connection.execute(_DROP_KEY, followee, f"follow:{follower}")
