"""Likes: at most one per user and post (the table's unique constraint says so, whatever the
concurrency), idempotent like and unlike, and the posts a user liked, most recent first.

``posts.like_count`` changes, and an event is written, only when a like row was really inserted or
deleted, in the same transaction.
"""

from __future__ import annotations

import uuid

from idl.flock.events.v1.events import PostLiked, PostUnliked
from posts import outbox
from posts.database import Database
from posts.domain import Caller, Page, Post, now
from posts.errors import NotAllowed
from posts.pagination import LIKES, LikeKey, page_size
from posts.queries import POST_COLUMNS, as_seen_by, following_ids, lock_visible_post, to_post, visible_to

_LIKE = """
INSERT INTO likes (post_id, user_id, liked_at) VALUES ($1, $2, $3)
ON CONFLICT (user_id, post_id) DO NOTHING
RETURNING 1
"""
_UNLIKE = "DELETE FROM likes WHERE post_id = $1 AND user_id = $2 RETURNING 1"
_COUNT = f"UPDATE posts SET like_count = like_count + $2 WHERE id = $1 RETURNING {POST_COLUMNS}"  # noqa: S608
_POST_COLUMNS = ", ".join(f"posts.{column}" for column in POST_COLUMNS.split(", "))
_LIKED_BY = f"""
SELECT {_POST_COLUMNS}, likes.liked_at
FROM likes JOIN posts ON posts.id = likes.post_id
WHERE likes.user_id = $1 AND (likes.liked_at, likes.post_id) < ($2, $3) AND {visible_to("$4", "$5")}
ORDER BY likes.liked_at DESC, likes.post_id DESC
LIMIT $6
"""  # noqa: S608 - only constants are interpolated


class Likes:
    """Likes of posts, as the rules allow each caller to see and change them."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def like(self, caller: Caller, post_id: uuid.UUID) -> Post:
        """Like a post the caller can see; liking it again changes nothing."""
        return await self._set(caller, post_id, liked=True)

    async def unlike(self, caller: Caller, post_id: uuid.UUID) -> Post:
        """Take a like back; unliking a post not liked changes nothing."""
        return await self._set(caller, post_id, liked=False)

    async def _set(self, caller: Caller, post_id: uuid.UUID, *, liked: bool) -> Post:
        user_id = caller.signed_in()
        at = now()
        async with self._db.transaction() as connection:
            row = await lock_visible_post(connection, caller, post_id)
            if liked:
                changed = await connection.fetchval(_LIKE, post_id, user_id, at)
            else:
                changed = await connection.fetchval(_UNLIKE, post_id, user_id)
            if changed:
                row = await connection.fetchrow(_COUNT, post_id, 1 if liked else -1)
                await outbox.record(
                    connection,
                    PostLiked if liked else PostUnliked,
                    at=at,
                    actor_id=user_id,
                    post_id=post_id,
                    post_author_id=row["author_id"],
                )
        return to_post(row, liked_by_caller=liked)

    async def liked_by(self, caller: Caller, user_id: uuid.UUID, *, size: int, token: str) -> Page[Post]:
        """The posts ``user_id`` liked that the caller may see, most recently liked first. Users may
        list their own likes; moderators and admins anyone's."""
        if caller.signed_in() != user_id and not caller.moderates:
            raise NotAllowed("Only moderators may list someone else's likes.")
        size, after = page_size(size), LIKES.decode(token)
        async with self._db.connection() as connection:
            rows = await connection.fetch(
                _LIKED_BY,
                user_id,
                after.liked_at,
                after.post_id,
                caller.user_id,
                following_ids(caller),
                size + 1,
            )
            rows, next_token = LIKES.cut(rows, size, key=lambda row: LikeKey(row["liked_at"], row["id"]))
            return Page(await as_seen_by(connection, caller, rows), next_token)
