"""The audit log: every staff action, written by the action's own transaction (:func:`record` takes
its connection), read by admins with filters, newest first. Nothing here updates or deletes an entry,
and the table's trigger refuses it whoever tries (the "moderation constraints" migration)."""

from __future__ import annotations

import dataclasses
import datetime
import json
import uuid
from typing import Any, Literal

import msgspec
from uuid_utils.compat import uuid7

from servicekit import cursors
from servicekit.database import Connection, Database

Action = Literal[
    "role_change",
    "suspend",
    "unsuspend",
    "disable",
    "reactivate",
    "delete_post",
    "delete_comment",
    "report_resolve",
    "report_dismiss",
    "account_delete",
]
ACTIONS: tuple[Action, ...] = (
    "role_change",
    "suspend",
    "unsuspend",
    "disable",
    "reactivate",
    "delete_post",
    "delete_comment",
    "report_resolve",
    "report_dismiss",
    "account_delete",
)
TargetType = Literal["account", "post", "comment", "report"]
_LIST_NAME = "audit"


@dataclasses.dataclass(frozen=True, slots=True)
class Actor:
    """Who acted: an account (id and username, copied into the entry), or the command line."""

    id: uuid.UUID | None
    username: str


COMMAND_LINE = Actor(None, "")


@dataclasses.dataclass(frozen=True, slots=True)
class Entry:
    id: uuid.UUID
    at: datetime.datetime
    actor_id: uuid.UUID | None
    actor_username: str
    action: str
    target_type: str
    target_id: str
    reason: str
    before: dict[str, Any]
    after: dict[str, Any]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Filters:
    actor_id: uuid.UUID | None = None
    target_type: str | None = None
    target_id: str | None = None
    action: str | None = None
    since: datetime.datetime | None = None
    until: datetime.datetime | None = None


_COLUMNS = "id, at, actor_id, actor_username, action, target_type, target_id, reason, before, after"
_INSERT = f"""
INSERT INTO audit_log ({_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10::jsonb)
RETURNING {_COLUMNS}
"""  # noqa: S608 - constants
# Each filter is either NULL (not asked) or compared; the indexes lead with actor, target or action.
_LIST = f"""
SELECT {_COLUMNS} FROM audit_log
WHERE id < $1
  AND ($2::uuid IS NULL OR actor_id = $2)
  AND ($3::text IS NULL OR target_type = $3)
  AND ($4::text IS NULL OR target_id = $4)
  AND ($5::text IS NULL OR action = $5)
  AND ($6::timestamptz IS NULL OR at >= $6)
  AND ($7::timestamptz IS NULL OR at < $7)
ORDER BY id DESC
LIMIT $8
"""  # noqa: S608 - constants
_NEWEST = uuid.UUID(int=(1 << 128) - 1)


def _entry(row: Any) -> Entry:
    def as_dict(value: Any) -> dict[str, Any]:
        return json.loads(value) if isinstance(value, str) else dict(value or {})

    return Entry(
        id=row["id"],
        at=row["at"],
        actor_id=row["actor_id"],
        actor_username=row["actor_username"],
        action=row["action"],
        target_type=row["target_type"],
        target_id=row["target_id"],
        reason=row["reason"],
        before=as_dict(row["before"]),
        after=as_dict(row["after"]),
    )


async def record(
    connection: Connection,
    actor: Actor,
    action: Action,
    target_type: TargetType,
    target_id: uuid.UUID | str,
    *,
    reason: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> Entry:
    """Append an entry, in the transaction ``connection`` is in: it exists exactly when the action
    does."""
    row = await connection.fetchrow(
        _INSERT,
        uuid7(),
        datetime.datetime.now(tz=datetime.UTC),
        actor.id,
        actor.username,
        action,
        target_type,
        str(target_id),
        reason,
        msgspec.json.encode(before or {}).decode(),
        msgspec.json.encode(after or {}).decode(),
    )
    return _entry(row)


async def entries(
    database: Database, filters: Filters, limit: int, cursor: str | None
) -> tuple[list[Entry], str | None]:
    """A page of entries matching ``filters``, newest first, and the cursor of the next page."""
    after = _NEWEST if cursor is None else cursors.decode_for(_LIST_NAME, cursor, uuid.UUID)
    rows = await database.fetch(
        _LIST,
        after,
        filters.actor_id,
        filters.target_type,
        filters.target_id,
        filters.action,
        filters.since,
        filters.until,
        limit + 1,
    )
    found = [_entry(row) for row in rows[:limit]]
    more = len(rows) > limit
    return found, cursors.encode_for(_LIST_NAME, found[-1].id) if more else None
