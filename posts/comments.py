"""Comments: add (idempotently; a reply joins its top-level thread), list a level oldest first,
delete a thread.

Anyone who can see a post may comment on it and read its comments, but for blocks: nobody comments
on the posts of, or replies to the comments of, an account a block stands between them and
(``posts/relations.py``). A comment may be deleted by its author, the post's author, a moderator or
an admin (on any post, giving a reason when it is someone else's), blocks or not: one may always take
one's own words back, and an author clean their post; deleting a top-level comment deletes its
replies.
``posts.comment_count`` (replies included) and ``comments.reply_count`` change in the transaction that
adds or removes the rows they count. With an idempotency key, the same comment sent again by its
author within 24 hours answers the first one instead of adding another (``posts/idempotency.py``).
"""

from __future__ import annotations

import dataclasses
import uuid

from uuid_utils.compat import uuid7

from idl.flock.events.v1.events import CommentAdded, CommentDeleted
from posts import idempotency, moderation, outbox
from posts.database import Connection, Database
from posts.domain import MAX_COMMENT_TEXT, Caller, Comment, Page, Visibility, clean_text, mentions, now
from posts.errors import CommentNotFound, IdempotencyKeyReused, NotAllowed, PostNotFound
from posts.pagination import COMMENTS, page_size
from posts.queries import Row, lock_post, lock_visible_post, not_hidden, refuse_deleted, visible_post
from posts.relations import blocked, not_blocked

_COLUMNS = "id, post_id, parent_id, author_id, text, created_at, reply_count"

_INSERT = f"""
INSERT INTO comments (id, post_id, parent_id, author_id, text, created_at)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING {_COLUMNS}
"""  # noqa: S608
_FIND = f"SELECT {_COLUMNS} FROM comments WHERE id = $1 AND post_id = $2"  # noqa: S608
_TOP_LEVEL = f"""
SELECT {_COLUMNS} FROM comments
WHERE post_id = $1 AND parent_id IS NULL AND id > $2
ORDER BY id LIMIT $3
"""  # noqa: S608
_REPLIES = f"""
SELECT {_COLUMNS} FROM comments
WHERE parent_id = $1 AND id > $2
ORDER BY id LIMIT $3
"""  # noqa: S608
# For everyone ($4 the caller, NULL for anyone), staff too: comments by accounts a block stands
# between the caller and, or that the caller mutes, are left out (one hash probe per comment of the
# set of those, read once for the statement). For members, comments by hidden accounts too (their own
# stay theirs).
_RELATED = f" AND {not_blocked('comments.author_id', '$4', nor_muted=True)}"
_SHOWN = f" AND {not_hidden('comments.author_id', shown_to='$4')}{_RELATED}"
_TOP_LEVEL_STAFF = _TOP_LEVEL.replace(" AND id > $2", " AND id > $2" + _RELATED)
_REPLIES_STAFF = _REPLIES.replace(" AND id > $2", " AND id > $2" + _RELATED)
_TOP_LEVEL_SHOWN = _TOP_LEVEL.replace(" AND id > $2", " AND id > $2" + _SHOWN)
_REPLIES_SHOWN = _REPLIES.replace(" AND id > $2", " AND id > $2" + _SHOWN)
# The comment and, for a top-level one, its replies: deleted explicitly (the foreign key would
# cascade anyway) so that the counts and events know each row that went.
_DELETE_THREAD = "DELETE FROM comments WHERE id = $1 OR parent_id = $1 RETURNING id, parent_id"


def _to_comment(row: Row) -> Comment:
    return Comment(
        id=row["id"],
        post_id=row["post_id"],
        author_id=row["author_id"],
        parent_id=row["parent_id"],
        text=row["text"],
        created_at=row["created_at"],
        reply_count=row["reply_count"],
    )


async def _find(connection: Connection, post_id: uuid.UUID, comment_id: uuid.UUID) -> Row:
    row = await connection.fetchrow(_FIND, comment_id, post_id)
    if row is None:
        raise CommentNotFound()
    return row


async def _find_thread(
    connection: Connection, caller: Caller, post_id: uuid.UUID, parent_id: uuid.UUID
) -> tuple[Row, Row]:
    """The top-level comment of ``parent_id``'s thread (itself, or the one it replies to), and
    ``parent_id``'s own row; not found for a caller a block stands between and the author of either."""
    parent = await _find(connection, post_id, parent_id)
    thread = parent if parent["parent_id"] is None else await _find(connection, post_id, parent["parent_id"])
    if await blocked(connection, caller.user_id, {parent["author_id"], thread["author_id"]}):
        raise CommentNotFound()
    return thread, parent


async def _count(connection: Connection, post_id: uuid.UUID, thread: uuid.UUID | None, change: int) -> None:
    """Keep the counters exact: ``change`` comments more (or fewer) on the post; for a reply, one more
    (or fewer) on its thread (a reply is deleted alone, so a negative change there is always -1)."""
    await connection.execute(
        "UPDATE posts SET comment_count = comment_count + $2 WHERE id = $1", post_id, change
    )
    if thread is not None:
        step = 1 if change > 0 else -1
        await connection.execute(
            "UPDATE comments SET reply_count = reply_count + $2 WHERE id = $1", thread, step
        )


@dataclasses.dataclass(frozen=True, slots=True)
class Added:
    """The comment an AddComment answers with; ``replayed`` when an idempotency key matched."""

    comment: Comment
    replayed: bool


class Comments:
    """The comments of posts, as the rules allow each caller to see and change them."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def add(
        self,
        caller: Caller,
        post_id: uuid.UUID,
        *,
        parent_id: uuid.UUID | None,
        text: str,
        idempotency_key: str = "",
    ) -> Added:
        """Comment on a post, or reply to one of its comments (a reply to a reply joins the thread
        of the top-level comment). With an idempotency key, the same request from the same author
        within 24 hours answers the first comment, as it is now, instead of adding another."""
        author_id = caller.signed_in()
        text = clean_text(text, limit=MAX_COMMENT_TEXT)
        idempotency.check_key(idempotency_key)
        comment_id, at = uuid7(), now()
        async with (
            moderation.told_if_removed(self._db, caller, post_id),
            self._db.transaction() as connection,
        ):
            if idempotency_key:
                asked = idempotency.fingerprint("comment", str(post_id), str(parent_id or ""), text)
                earlier = await idempotency.claim(
                    connection,
                    author_id,
                    idempotency_key,
                    asked,
                    at=at,
                    post_id=post_id,
                    comment_id=comment_id,
                )
                if earlier is not None:
                    if earlier.comment_id is None:  # a post's key: its fingerprint cannot be equal
                        raise IdempotencyKeyReused()
                    # The first comment; NOT_FOUND if it, or its post, has been deleted since.
                    await visible_post(connection, caller, post_id)
                    first = await _find(connection, post_id, earlier.comment_id)
                    return Added(_to_comment(first), replayed=True)
            await refuse_deleted(connection, author_id)
            post = await lock_visible_post(connection, caller, post_id)
            thread = replied_to_author = None
            if parent_id is not None:
                top, parent = await _find_thread(connection, caller, post_id, parent_id)
                thread, replied_to_author = top["id"], parent["author_id"]
            row = await connection.fetchrow(_INSERT, comment_id, post_id, thread, author_id, text, at)
            await _count(connection, post_id, thread, +1)
            await outbox.record(
                connection,
                CommentAdded,
                at=at,
                actor_id=author_id,
                post_id=post_id,
                post_author_id=post["author_id"],
                comment_id=row["id"],
                parent_id=thread,
                replied_to_author_id=replied_to_author,
                post_visibility=post["visibility"],
                mentions=mentions(text),
            )
        return Added(_to_comment(row), replayed=False)

    async def list(
        self, caller: Caller, post_id: uuid.UUID, *, parent_id: uuid.UUID | None, size: int, token: str
    ) -> Page[Comment]:
        """The top-level comments of a post, or the replies to one of them, oldest first; none by an
        account a block stands between the caller and, or that the caller mutes (the replies to the
        comment of one the caller blocks, or is blocked by, are not found)."""
        size, after = page_size(size), COMMENTS.decode(token)
        async with self._db.connection() as connection:
            await visible_post(connection, caller, post_id)
            if parent_id is None:
                statement = _TOP_LEVEL_STAFF if caller.moderates else _TOP_LEVEL_SHOWN
                rows = await connection.fetch(statement, post_id, after, size + 1, caller.user_id)
            else:
                await _find_thread(connection, caller, post_id, parent_id)
                statement = _REPLIES_STAFF if caller.moderates else _REPLIES_SHOWN
                rows = await connection.fetch(statement, parent_id, after, size + 1, caller.user_id)
        rows, next_token = COMMENTS.cut(rows, size, key=lambda row: row["id"])
        return Page([_to_comment(row) for row in rows], next_token)

    async def delete(
        self, caller: Caller, post_id: uuid.UUID, comment_id: uuid.UUID, *, reason: str = ""
    ) -> None:
        """Delete a comment, and its replies if it has any. Moderators and admins may on any post, even
        one they cannot read, with a reason when the comment is not theirs to delete as a user."""
        user_id = caller.signed_in()
        async with self._db.transaction() as connection:
            post = await lock_post(connection, post_id)
            if not caller.moderates and not caller.can_see(post["author_id"], Visibility(post["visibility"])):
                raise PostNotFound()
            comment = await _find(connection, post_id, comment_id)
            owners = (comment["author_id"], post["author_id"])
            if user_id not in owners and not caller.moderates:
                raise NotAllowed("Only its author, the post's author or a moderator may delete a comment.")
            moderation.removal_reason(caller, owners, reason)
            deleted = await connection.fetch(_DELETE_THREAD, comment_id)
            await _count(connection, post_id, comment["parent_id"], -len(deleted))
            # One event per comment that went: the comment first, then its replies.
            at = now()
            await outbox.write(
                connection,
                *(
                    outbox.new_event(
                        CommentDeleted,
                        at=at,
                        actor_id=user_id,
                        post_id=post_id,
                        post_author_id=post["author_id"],
                        comment_id=row["id"],
                    )
                    for row in sorted(deleted, key=lambda row: row["parent_id"] is not None)
                ),
            )
