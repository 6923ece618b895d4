"""Moderation: what moderators and admins may do beyond the rules for everyone, and what a post's
author is told when one of them removed it.

- A moderator or an admin removing someone else's post or comment gives a reason (1 to 500
  characters). A removed post leaves a row in ``moderation_removals``, written in the transaction
  that deletes it: from then on its author is told :class:`PostRemoved` (with the reason) by every
  call about it, and everyone else :class:`PostNotFound`, as if it never existed.
- Moderators and admins read any comment by id (:meth:`Moderation.get_comment`), and count posts
  (:meth:`Moderation.count_posts_by_author`, :meth:`Moderation.count_posts_since`); other callers
  may read a comment only on a post they may see, and count nothing.
"""

from __future__ import annotations

import dataclasses
import datetime
import uuid
from collections.abc import AsyncIterator, Collection, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import NoReturn

from posts.database import Connection, Database
from posts.domain import Caller, Comment, Visibility, clean_text
from posts.errors import CommentNotFound, InvalidArgument, NotAllowed, PostNotFound, PostRemoved
from posts.queries import Row, not_hidden
from posts.relations import no_block_between

MAX_REASON = 500
MAX_AUTHORS_PER_COUNT = 100

_COMMENT_FIELDS = tuple(field.name for field in dataclasses.fields(Comment))
# With whether each author (the comment's, the post's) is shown, i.e. not hidden, and whether a block
# stands between either and the caller ($2).
_GET_COMMENT = f"""
SELECT {", ".join(f"comments.{name}" for name in _COMMENT_FIELDS)},
       posts.author_id AS post_author_id, posts.visibility,
       {not_hidden("comments.author_id", shown_to="$2")} AS author_shown,
       {not_hidden("posts.author_id", shown_to="$2")} AS post_author_shown,
       {no_block_between("comments.author_id", "$2")}
           AND {no_block_between("posts.author_id", "$2")} AS unblocked
FROM comments JOIN posts ON posts.id = comments.post_id
WHERE comments.id = $1
"""  # noqa: S608 - only constants are interpolated
_COUNT_BY_AUTHOR = """
SELECT author_id, count(*) AS posts FROM posts WHERE author_id = ANY($1::uuid[]) GROUP BY author_id
"""
# Post ids are UUIDv7s, which sort by creation time: a range of the primary key finds the posts of a
# period without an index on created_at. The id is made a moment before created_at, so the range
# starts a second early and created_at decides.
_COUNT_SINCE = "SELECT count(*) FROM posts WHERE id >= $1 AND created_at >= $2"
_ID_MARGIN = datetime.timedelta(seconds=1)
_RECORD_REMOVAL = """
INSERT INTO moderation_removals (post_id, author_id, removed_by, reason, removed_at)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (post_id) DO NOTHING
"""

_REMOVAL = """
SELECT post_id, author_id, removed_by, reason, removed_at FROM moderation_removals WHERE post_id = $1
"""


@dataclasses.dataclass(frozen=True, slots=True)
class Removal:
    """A post a moderator or an admin removed, and why."""

    post_id: uuid.UUID
    author_id: uuid.UUID
    removed_by: uuid.UUID
    reason: str
    removed_at: datetime.datetime


def removal_reason(caller: Caller, owners: Collection[uuid.UUID], reason: str) -> str | None:
    """The reason a moderator or an admin gives for removing content that is not theirs to delete as
    a user (``owners``: the users who may delete it anyway); None when it is theirs, or the caller does
    not moderate (their request is refused or allowed by the ordinary rules, reason or not)."""
    if not caller.moderates or caller.user_id in owners:
        return None
    if not reason.strip():
        raise InvalidArgument("reason", "A moderator removing someone else's content must give a reason.")
    return clean_text(reason, limit=MAX_REASON, field="reason")


async def record_removal(
    connection: Connection,
    caller: Caller,
    *,
    post_id: uuid.UUID,
    author_id: uuid.UUID,
    reason: str,
    at: datetime.datetime,
) -> None:
    """Note, in the transaction that deletes it, that ``caller`` removed the post for ``reason``."""
    await connection.execute(_RECORD_REMOVAL, post_id, author_id, caller.signed_in(), reason, at)


async def removal_of(connection: Connection, post_id: uuid.UUID) -> Removal | None:
    """The removal of ``post_id`` by a moderator, if there was one."""
    row = await connection.fetchrow(_REMOVAL, post_id)
    return None if row is None else Removal(**dict(row))


def missing(caller: Caller, removal: Removal | None) -> PostNotFound | PostRemoved:
    """What ``caller`` is told of a post they cannot find: that a moderator removed it, and why, if it
    was theirs; otherwise that there is no such post."""
    if removal is None or caller.user_id != removal.author_id:
        return PostNotFound()
    return PostRemoved(f"A moderator removed this post: {removal.reason}")


async def removed_or_not_found(connection: Connection, caller: Caller, post_id: uuid.UUID) -> NoReturn:
    """Raise what ``caller`` is told of ``post_id``, a post not found for them (see :func:`missing`)."""
    raise missing(caller, await removal_of(connection, post_id))


@asynccontextmanager
async def told_if_removed(database: Database, caller: Caller, post_id: uuid.UUID) -> AsyncIterator[None]:
    """Within the block, a :class:`PostNotFound` becomes :class:`PostRemoved` when a moderator removed
    ``post_id`` and the caller is its author. (A look-up on a failure only: a found post costs
    nothing.)"""
    try:
        yield
    except PostNotFound:
        async with database.connection() as connection:
            await removed_or_not_found(connection, caller, post_id)


def _shown(caller: Caller, row: Row) -> bool:
    """Whether a member may read the comment of ``row`` (a :data:`_GET_COMMENT` row)."""
    visible = caller.can_see(row["post_author_id"], Visibility(row["visibility"]))
    return visible and row["author_shown"] and row["post_author_shown"] and row["unblocked"]


def _staff(caller: Caller, what: str) -> None:
    caller.signed_in()
    if not caller.moderates:
        raise NotAllowed(f"Only moderators and admins may {what}.")


class Moderation:
    """Reads for moderators and admins, and the removal notices for authors."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def told_if_removed(self, caller: Caller, post_id: uuid.UUID) -> AbstractAsyncContextManager[None]:
        """:func:`told_if_removed` on this service's database."""
        return told_if_removed(self._db, caller, post_id)

    async def get_comment(self, caller: Caller, comment_id: uuid.UUID) -> Comment:
        """One comment by id, if the caller may see its post and neither its author nor the post's is
        hidden, nor blocks or is blocked by the caller (moderators and admins: any);
        :class:`CommentNotFound` otherwise."""
        async with self._db.connection() as connection:
            row = await connection.fetchrow(_GET_COMMENT, comment_id, caller.user_id)
        if row is None or not (caller.moderates or _shown(caller, row)):
            raise CommentNotFound("No such comment.")
        return Comment(**{name: row[name] for name in _COMMENT_FIELDS})

    async def count_posts_by_author(
        self, caller: Caller, author_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, int]:
        """How many posts each of up to 100 authors has, 0 for none (moderators and admins only)."""
        _staff(caller, "count posts")
        if len(author_ids) > MAX_AUTHORS_PER_COUNT:
            raise InvalidArgument(
                "author_ids", f"Ask about at most {MAX_AUTHORS_PER_COUNT} authors at a time."
            )
        counts = dict.fromkeys(author_ids, 0)
        if counts:
            async with self._db.connection() as connection:
                rows = await connection.fetch(_COUNT_BY_AUTHOR, list(counts))
            counts.update({row["author_id"]: row["posts"] for row in rows})
        return counts

    async def count_posts_since(self, caller: Caller, since: datetime.datetime) -> int:
        """How many posts were created at or after ``since`` (moderators and admins only)."""
        _staff(caller, "count posts")
        async with self._db.connection() as connection:
            count: int = await connection.fetchval(_COUNT_SINCE, _first_id_at(since - _ID_MARGIN), since)
        return count


def _first_id_at(moment: datetime.datetime) -> uuid.UUID:
    """The smallest UUIDv7 of ``moment``'s millisecond: its 48-bit Unix time in milliseconds, zeros
    after (every id made then or later sorts at or above it)."""
    milliseconds = max(0, int(moment.timestamp() * 1000))
    return uuid.UUID(int=milliseconds << 80)
