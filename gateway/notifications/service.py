"""Reading one's notifications: the list (newest change first, keyset paginated by ``seq``), the
unread count, marking read and deleting. Writing them is the notifier's
(``gateway/notifications/notifier.py``)."""

from __future__ import annotations

import dataclasses
import datetime
import json
import uuid
from collections.abc import Sequence
from typing import Any

from gateway.users.status import shown_sql
from servicekit.database import Database
from servicekit.errors import NotFound

# Actors shown with an entry; the rest are counted.
RECENT_ACTORS = 3


class NotificationNotFound(NotFound):
    code = "notification_not_found"
    title = "Notification not found"
    detail = "You have no notification with this id."


@dataclasses.dataclass(frozen=True, slots=True)
class Actor:
    id: uuid.UUID
    username: str
    display_name: str


@dataclasses.dataclass(frozen=True, slots=True)
class Entry:
    id: uuid.UUID
    kind: str
    seq: int
    post_id: uuid.UUID | None
    comment_id: uuid.UUID | None
    data: dict[str, Any]
    created_at: datetime.datetime
    updated_at: datetime.datetime
    read: bool
    actors: list[Actor]
    actor_count: int


# Actors that are hidden now (suspended, deleted...) are neither shown nor counted.
_LIST = f"""
SELECT n.id, n.kind, n.seq, n.post_id, n.comment_id, n.data::text AS data, n.created_at, n.updated_at,
       n.read_at IS NOT NULL AS read,
       (SELECT count(*) FROM notification_actors a JOIN users u ON u.id = a.actor_id
        WHERE a.notification_id = n.id AND {shown_sql("u")}) AS actor_count,
       (SELECT coalesce(jsonb_agg(jsonb_build_object('id', r.id, 'username', r.username,
                                                     'display_name', r.display_name)
                                  ORDER BY r.acted_at DESC), '[]')::text
        FROM (SELECT u.id, u.username, u.display_name, a.acted_at
              FROM notification_actors a JOIN users u ON u.id = a.actor_id
              WHERE a.notification_id = n.id AND {shown_sql("u")}
              ORDER BY a.acted_at DESC LIMIT {RECENT_ACTORS}) r) AS actors
FROM notifications n
WHERE n.recipient_id = $1 AND n.seq < $2
  AND ($3::text[] IS NULL OR n.kind = ANY($3::text[]))
  AND ($4::text[] IS NULL OR n.kind <> ALL($4::text[]))
ORDER BY n.seq DESC
LIMIT $5
"""  # noqa: S608 - only constants are interpolated
_UNREAD = "SELECT count(*) FROM notifications WHERE recipient_id = $1 AND read_at IS NULL"
_SEQ_OF = "SELECT seq FROM notifications WHERE recipient_id = $1 AND id = $2"
_MARK_READ = """
UPDATE notifications SET read_at = now() WHERE recipient_id = $1 AND read_at IS NULL AND seq <= $2
"""
_DELETE = "DELETE FROM notifications WHERE recipient_id = $1 AND id = $2 RETURNING 1"

# Before every entry: where the first page starts.
FIRST_SEQ = 2**63 - 1


def _entry(row: Any) -> Entry:
    return Entry(
        id=row["id"],
        kind=row["kind"],
        seq=row["seq"],
        post_id=row["post_id"],
        comment_id=row["comment_id"],
        data=json.loads(row["data"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        read=row["read"],
        actors=[
            Actor(uuid.UUID(a["id"]), a["username"], a["display_name"]) for a in json.loads(row["actors"])
        ],
        actor_count=row["actor_count"],
    )


class Notifications:
    """One's own notifications, on plain values."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def list(
        self,
        recipient_id: uuid.UUID,
        *,
        before_seq: int,
        limit: int,
        kinds: Sequence[str] | None,
        excluded: Sequence[str] | None,
    ) -> list[Entry]:
        """Up to ``limit`` entries below ``before_seq``, newest change first, of ``kinds`` (None: all)
        and not of ``excluded``."""
        rows = await self._database.fetch(
            _LIST,
            recipient_id,
            before_seq,
            list(kinds) if kinds is not None else None,
            list(excluded) if excluded is not None else None,
            limit,
        )
        return [_entry(row) for row in rows]

    async def unread_count(self, recipient_id: uuid.UUID) -> int:
        row = await self._database.fetchrow(_UNREAD, recipient_id)
        return int(row[0]) if row is not None else 0

    async def mark_read(self, recipient_id: uuid.UUID, up_to: uuid.UUID) -> int:
        """Mark ``up_to`` and every entry below it read; the unread count after."""
        async with self._database.transaction() as connection:
            seq = await connection.fetchval(_SEQ_OF, recipient_id, up_to)
            if seq is None:
                raise NotificationNotFound(field="up_to")
            await connection.execute(_MARK_READ, recipient_id, seq)
            return int(await connection.fetchval(_UNREAD, recipient_id))

    async def delete(self, recipient_id: uuid.UUID, notification_id: uuid.UUID) -> None:
        if await self._database.fetchrow(_DELETE, recipient_id, notification_id) is None:
            raise NotificationNotFound()
