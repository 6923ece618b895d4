"""Likes: at most one per user and post (the table's unique constraint says so, whatever the
concurrency), idempotent like and unlike, and the posts a user liked, most recent first. Liking needs
a post the caller can see; taking one's like back does not (a follower who was removed, or whose
author made the post private, is not left with a like they cannot undo).

``posts.like_count`` changes, and an event is written, only when a like row was really inserted or
deleted, in the same transaction.
"""

from __future__ import annotations

import datetime
import uuid

from idl.flock.events.v1.events import PostLiked, PostUnliked
from posts import outbox
from posts.database import Connection, Database
from posts.domain import Caller, Page, Post, now
from posts.errors import NotAllowed, PostNotFound
from posts.pagination import LIKES, LikeKey, page_size
from posts.queries import (
    POST_COLUMNS,
    Row,
    as_seen_by,
    can_read,
    following_ids,
    lock_post,
    lock_visible_post,
    refuse_deleted,
    staff_sees,
    to_post,
    visibility,
    visible_to,
)
from posts.relations import not_blocked

_LIKE = """
INSERT INTO likes (post_id, user_id, liked_at) VALUES ($1, $2, $3)
ON CONFLICT (user_id, post_id) DO NOTHING
RETURNING 1
"""
_UNLIKE = "DELETE FROM likes WHERE post_id = $1 AND user_id = $2 RETURNING 1"
_COUNT = f"UPDATE posts SET like_count = like_count + $2 WHERE id = $1 RETURNING {POST_COLUMNS}"  # noqa: S608
_POST_COLUMNS = ", ".join(f"posts.{column}" for column in POST_COLUMNS.split(", "))
_LIKED_BY_TEMPLATE = """
SELECT {columns}, likes.liked_at
FROM likes JOIN posts ON posts.id = likes.post_id
WHERE likes.user_id = $1 AND (likes.liked_at, likes.post_id) < ($2, $3) AND {visible}
ORDER BY likes.liked_at DESC, likes.post_id DESC
LIMIT $6
"""
# Members' lists leave out the posts of authors a block stands between them and (one hash probe per
# like); staff listing anyone's likes read for moderation: blocks aside.
_LIKED_BY = _LIKED_BY_TEMPLATE.format(
    columns=_POST_COLUMNS,
    visible=f"{visible_to('$4', '$5')} AND {not_blocked('posts.author_id', '$4')}",
)
_LIKED_BY_STAFF = _LIKED_BY_TEMPLATE.format(columns=_POST_COLUMNS, visible=staff_sees("$4", "$5"))


async def _counted(
    connection: Connection,
    event: type[PostLiked | PostUnliked],
    user_id: uuid.UUID,
    post_id: uuid.UUID,
    *,
    at: datetime.datetime,
) -> Row:
    """Count a like row just inserted (PostLiked) or deleted (PostUnliked), and write its event; the
    post's row after the change."""
    row = await connection.fetchrow(_COUNT, post_id, 1 if event is PostLiked else -1)
    await outbox.record(
        connection, event, at=at, actor_id=user_id, post_id=post_id, post_author_id=row["author_id"]
    )
    return row


class Likes:
    """Likes of posts, as the rules allow each caller to see and change them."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def like(self, caller: Caller, post_id: uuid.UUID) -> Post:
        """Like a post the caller can see; liking it again changes nothing."""
        user_id = caller.signed_in()
        at = now()
        async with self._db.transaction() as connection:
            await refuse_deleted(connection, user_id)
            row = await lock_visible_post(connection, caller, post_id)
            if await connection.fetchval(_LIKE, post_id, user_id, at):
                row = await _counted(connection, PostLiked, user_id, post_id, at=at)
        return to_post(row, liked_by_caller=True)

    async def unlike(self, caller: Caller, post_id: uuid.UUID) -> Post | None:
        """Take a like back; unliking a post not liked changes nothing.

        A user may always take their own like back, also from a post they may no longer see (its
        author made it private, stopped them following, or blocked them): the like goes, and the
        answer is None, which shows nothing of the post. A post they neither see nor like is not
        found, as if it did not exist.
        """
        user_id = caller.signed_in()
        async with self._db.transaction() as connection:
            row = await lock_post(connection, post_id)
            visible = await can_read(connection, caller, row)
            if await connection.fetchval(_UNLIKE, post_id, user_id):
                row = await _counted(connection, PostUnliked, user_id, post_id, at=now())
            elif not visible:
                raise PostNotFound()
        return to_post(row, liked_by_caller=False) if visible else None

    async def liked_by(self, caller: Caller, user_id: uuid.UUID, *, size: int, token: str) -> Page[Post]:
        """The posts ``user_id`` liked that the caller may see, most recently liked first. Users may
        list their own likes; moderators and admins anyone's."""
        if caller.signed_in() != user_id and not caller.moderates:
            raise NotAllowed("Only moderators may list someone else's likes.")
        size, after = page_size(size), LIKES.decode(token)
        async with self._db.connection() as connection:
            rows = await connection.fetch(
                _LIKED_BY_STAFF if visibility(caller) else _LIKED_BY,
                user_id,
                after.liked_at,
                after.post_id,
                caller.user_id,
                following_ids(caller),
                size + 1,
            )
            rows, next_token = LIKES.cut(rows, size, key=lambda row: LikeKey(row["liked_at"], row["id"]))
            return Page(await as_seen_by(connection, caller, rows), next_token)
