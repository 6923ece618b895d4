"""Posts: publish (idempotently), edit, delete, read one or many, list an author's.

The rules, whatever the gateway checked: writing needs a caller; a private post exists only for its
author, a followers-only one for its author and the callers whose following list names them (to
anyone else: not found); only the author edits a post; the author, a moderator or an admin deletes
it (moderators whatever its visibility), and its comments and likes go with it. Each change writes
its outbox event in the transaction that makes it. A moderator removing someone else's post gives a
reason, which its author is told from then on (``posts/moderation.py``).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence

from uuid_utils.compat import uuid7

from idl.flock.events.v1.events import PostCreated, PostDeleted, PostUpdated
from posts import idempotency, moderation, outbox
from posts.database import Database
from posts.domain import MAX_POST_TEXT, Caller, Page, Post, Visibility, clean_text, mentions, now
from posts.errors import InvalidArgument, NotAllowed, PostNotFound
from posts.pagination import POSTS, page_size
from posts.queries import (
    POST_COLUMNS,
    as_seen_by,
    following_ids,
    lock_visible_post,
    not_hidden,
    refuse_deleted,
    staff_sees,
    to_post,
    visibility,
    visible_post,
    visible_posts,
    visible_to,
)
from posts.relations import no_block_between

MAX_POSTS_PER_GET = 100

_INSERT_POST = f"""
INSERT INTO posts (id, author_id, text, visibility, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $5)
RETURNING {POST_COLUMNS}
"""  # noqa: S608

_UPDATE_POST = f"""
UPDATE posts SET text = $2, visibility = $3, updated_at = $4 WHERE id = $1
RETURNING {POST_COLUMNS}
"""  # noqa: S608

# A hidden author's wall is empty but to themselves, and so is it to a caller a block stands between
# the author and: checked once for the statement (the conditions name only parameters, so PostgreSQL
# runs them once, before the scan), not per post.
_LIST_BY_AUTHOR = f"""
SELECT {POST_COLUMNS} FROM posts
WHERE author_id = $1 AND {visible_to("$2", "$3", author_checked=True)} AND id < $4
  AND ($1 = $2 OR {not_hidden("$1::uuid")}) AND {no_block_between("$1::uuid", "$2")}
ORDER BY id DESC
LIMIT $5
"""  # noqa: S608 - only constants are interpolated
# Staff read every post of the author, blocks or not.
_LIST_ANY_BY_AUTHOR = f"""
SELECT {POST_COLUMNS} FROM posts
WHERE author_id = $1 AND {staff_sees("$2", "$3")} AND id < $4
ORDER BY id DESC
LIMIT $5
"""  # noqa: S608 - only constants are interpolated


@dataclasses.dataclass(frozen=True, slots=True)
class Created:
    """The post a CreatePost answers with; ``replayed`` when an idempotency key matched."""

    post: Post
    replayed: bool


class Posts:
    """Posts, as the rules allow each caller to see and change them."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def create(
        self, caller: Caller, *, text: str, visibility: Visibility | None, idempotency_key: str = ""
    ) -> Created:
        """Publish a post (public unless said otherwise). With an idempotency key, the same request
        from the same author within 24 hours returns the first post instead of a new one."""
        author_id = caller.signed_in()
        text = clean_text(text, limit=MAX_POST_TEXT)
        visibility = visibility or Visibility.PUBLIC
        idempotency.check_key(idempotency_key)
        post_id, at = uuid7(), now()
        async with self._db.transaction() as connection:
            if idempotency_key:
                asked = idempotency.fingerprint(visibility.value, text)
                earlier = await idempotency.claim(
                    connection, author_id, idempotency_key, asked, at=at, post_id=post_id
                )
                if earlier is not None:
                    # The first post; NOT_FOUND if it has been deleted since.
                    return Created(await visible_post(connection, caller, earlier.post_id), replayed=True)
            await refuse_deleted(connection, author_id)
            row = await connection.fetchrow(_INSERT_POST, post_id, author_id, text, visibility.value, at)
            await outbox.record(
                connection,
                PostCreated,
                at=at,
                actor_id=author_id,
                post_id=post_id,
                post_author_id=author_id,
                visibility=visibility.value,
                mentions=mentions(text),
            )
        return Created(to_post(row, liked_by_caller=False), replayed=False)

    async def update(
        self, caller: Caller, post_id: uuid.UUID, *, text: str | None, visibility: Visibility | None
    ) -> Post:
        """Change the text and/or visibility (None leaves either as it is). Only the author may. A
        request that changes nothing writes nothing."""
        user_id = caller.signed_in()
        new_text = None if text is None else clean_text(text, limit=MAX_POST_TEXT)
        async with (
            moderation.told_if_removed(self._db, caller, post_id),
            self._db.transaction() as connection,
        ):
            row = await lock_visible_post(connection, caller, post_id)
            if row["author_id"] != user_id:
                raise NotAllowed("Only its author may edit a post.")
            wanted = (new_text or row["text"], (visibility or Visibility(row["visibility"])).value)
            if wanted != (row["text"], row["visibility"]):
                at = now()
                row = await connection.fetchrow(_UPDATE_POST, post_id, *wanted, at)
                await outbox.record(
                    connection,
                    PostUpdated,
                    at=at,
                    actor_id=user_id,
                    post_id=post_id,
                    post_author_id=user_id,
                    visibility=wanted[1],
                    mentions=mentions(wanted[0]),
                )
            [post] = await as_seen_by(connection, caller, [row])
        return post

    async def delete(self, caller: Caller, post_id: uuid.UUID, *, reason: str = "") -> None:
        """Delete a post with its comments and likes: its author, a moderator or an admin may (the
        latter two even a post they cannot read, giving a reason when it is not theirs). Deleting a
        post a moderator removed is, for a moderator, done already."""
        user_id = caller.signed_in()
        async with self._db.transaction() as connection:
            try:
                row = await lock_visible_post(connection, caller, post_id, for_delete=True)
            except PostNotFound:
                removal = await moderation.removal_of(connection, post_id)
                if removal is not None and caller.moderates:
                    return
                raise moderation.missing(caller, removal) from None
            if row["author_id"] != user_id and not caller.moderates:
                raise NotAllowed("Only its author or a moderator may delete a post.")
            why = moderation.removal_reason(caller, {row["author_id"]}, reason)
            at = now()
            # Comments and likes go by ON DELETE CASCADE; their events are implied by this one.
            await connection.execute("DELETE FROM posts WHERE id = $1", post_id)
            if why is not None:
                await moderation.record_removal(
                    connection, caller, post_id=post_id, author_id=row["author_id"], reason=why, at=at
                )
            await outbox.record(
                connection,
                PostDeleted,
                at=at,
                actor_id=user_id,
                post_id=post_id,
                post_author_id=row["author_id"],
            )

    async def get(self, caller: Caller, post_id: uuid.UUID) -> Post:
        """One post, if the caller may see it."""
        async with self._db.connection() as connection:
            try:
                return await visible_post(connection, caller, post_id)
            except PostNotFound:
                await moderation.removed_or_not_found(connection, caller, post_id)

    async def get_many(self, caller: Caller, post_ids: Sequence[uuid.UUID]) -> list[Post]:
        """Up to 100 posts, in the order asked, leaving out those missing or hidden from the caller."""
        if len(post_ids) > MAX_POSTS_PER_GET:
            raise InvalidArgument("post_ids", f"Ask for at most {MAX_POSTS_PER_GET} posts at a time.")
        if not post_ids:
            return []
        async with self._db.connection() as connection:
            found = {post.id: post for post in await visible_posts(connection, caller, post_ids)}
        return [found[post_id] for post_id in post_ids if post_id in found]

    async def list_by_author(
        self, caller: Caller, author_id: uuid.UUID, *, size: int, token: str
    ) -> Page[Post]:
        """The author's posts that the caller may see, newest first."""
        size, after = page_size(size), POSTS.decode(token)
        async with self._db.connection() as connection:
            rows = await connection.fetch(
                _LIST_ANY_BY_AUTHOR if visibility(caller) else _LIST_BY_AUTHOR,
                author_id,
                caller.user_id,
                following_ids(caller),
                after,
                size + 1,
            )
            rows, next_token = POSTS.cut(rows, size, key=lambda row: row["id"])
            return Page(await as_seen_by(connection, caller, rows), next_token)
