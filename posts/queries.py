"""Reading posts as a given caller sees them: the SQL shared by every operation that returns posts.
Blocks and mutes have their own SQL, in ``posts/relations.py``."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from posts.database import Connection
from posts.domain import Caller, Post, Visibility
from posts.errors import NotAllowed, PostNotFound
from posts.relations import blocked, no_block_between

Row = Any  # an asyncpg Record

POST_COLUMNS = "id, author_id, text, visibility, created_at, updated_at, like_count, comment_count"


def not_hidden(author: str, *, shown_to: str | None = None) -> str:
    """SQL for "the account ``author`` (an SQL expression) is not hidden": no ``account_states`` row
    says it is suspended, disabled or deleted now (``posts/accounts.py``). A suspension's end is
    compared with the clock, so it ends by itself. ``shown_to``: a caller (an SQL expression, NULL for
    anyone) to whom their own account is never hidden.

    With ``shown_to`` the caller's exception is inside the subquery, so that the test is one
    condition of the WHERE clause, which PostgreSQL runs as an anti-join: the feed probes the index of
    hidden accounts (``account_states_hidden``) once per followed author. ``author = caller OR NOT
    EXISTS (...)`` is a subplan instead, which the planner may hash: it then reads every hidden
    account once per statement (25 ms with 20,000 of them, for a feed of 20 posts), which pays only
    when the statement filters tens of thousands of posts (a search: :func:`visible_to`).
    ``just bench-feed --hidden N --purged N`` measures both.
    """
    mine = f" AND hidden.account_id IS DISTINCT FROM {shown_to}::uuid" if shown_to else ""
    return (
        f"NOT EXISTS (SELECT 1 FROM account_states AS hidden WHERE hidden.account_id = {author}"  # noqa: S608
        " AND hidden.hidden AND (hidden.hidden_until IS NULL OR hidden.hidden_until > now())"
        f"{mine})"
    )


def visible_to(caller: str, following: str, table: str = "posts", *, author_checked: bool = False) -> str:
    """SQL for "the caller whose id is parameter ``caller`` and who follows the accounts in parameter
    ``following`` (a ``uuid[]``, see :func:`following_ids`) may see the post": it is public, theirs, or
    followers-only by someone they follow, and its author is not hidden (their own posts stay theirs
    to see). An anonymous caller's id is NULL, which matches no author, and their following list is
    empty. ``Caller.can_see`` in Python (the hidden part: :func:`author_hidden`).

    The list (up to 5000 ids) is looked up as ``IN (SELECT unnest(...))``, which PostgreSQL runs as a
    hashed subplan: one hash table per query. ``= ANY(...)`` would scan the array for each row once
    the plan is a generic one (asyncpg prepares statements, and PostgreSQL switches to a generic plan
    after five runs): a search matching tens of thousands of posts took twice as long with it.
    ``author_checked``: leave the hidden check out, for a statement that checks its one author once."""
    rule = (
        f"({table}.visibility = 'public' OR {table}.author_id = {caller}"
        f" OR ({table}.visibility = 'followers'"
        f" AND {table}.author_id IN (SELECT unnest({following}::uuid[]))))"
    )
    if author_checked:  # the statement checks its one author once (a wall)
        return rule
    # An OR, so that a search over many posts may hash the hidden accounts (see :func:`not_hidden`).
    return f"({rule} AND ({table}.author_id = {caller} OR {not_hidden(f'{table}.author_id')}))"


def staff_sees(caller: str, following: str) -> str:
    """What :func:`visible_to` is for moderators and admins: every post. The parameters are still
    named, so that the two statements take the same ones (the planner folds this to TRUE)."""
    return f"(TRUE OR {caller}::uuid IS NULL OR {following}::uuid[] IS NULL)"


def visibility(caller: Caller) -> bool:
    """Which of two statements a caller reads with: True for staff (:func:`staff_sees`)."""
    return caller.moderates


async def refuse_deleted(connection: Connection, author_id: uuid.UUID) -> None:
    """:class:`NotAllowed` if ``author_id``'s account is deleted: no new post, comment or like from it.
    The gateway no longer lets a deleted account in; this keeps a write that was already on its way
    when the account went from landing after the purge removed everything else."""
    if await connection.fetchval(_DELETED, author_id):
        raise NotAllowed("This account has been deleted.")


_DELETED = "SELECT EXISTS (SELECT 1 FROM account_states WHERE account_id = $1 AND status = 'deleted')"


async def author_hidden(connection: Connection, caller: Caller, author_id: uuid.UUID) -> bool:
    """Whether ``author_id``'s content is hidden from ``caller`` (never from staff, nor from the
    author)."""
    if caller.moderates or author_id == caller.user_id:
        return False
    return not await connection.fetchval(f"SELECT {not_hidden('$1::uuid')}", author_id)


def following_ids(caller: Caller) -> list[uuid.UUID]:
    """The caller's following list as the parameter :func:`visible_to` wants."""
    return list(caller.following)


async def liked_among(
    connection: Connection, caller: Caller, post_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of ``post_ids`` the caller likes, in one query."""
    if caller.user_id is None or not post_ids:
        return set()
    rows = await connection.fetch(
        "SELECT post_id FROM likes WHERE post_id = ANY($1::uuid[]) AND user_id = $2",
        list(post_ids),
        caller.user_id,
    )
    return {row["post_id"] for row in rows}


def to_post(row: Row, liked_by_caller: bool) -> Post:
    return Post(
        id=row["id"],
        author_id=row["author_id"],
        text=row["text"],
        visibility=Visibility(row["visibility"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        like_count=row["like_count"],
        comment_count=row["comment_count"],
        liked_by_caller=liked_by_caller,
    )


async def as_seen_by(connection: Connection, caller: Caller, rows: Iterable[Row]) -> list[Post]:
    """Post rows (already filtered to those the caller may see) with ``liked_by_caller`` filled in."""
    rows = list(rows)
    liked = await liked_among(connection, caller, [row["id"] for row in rows])
    return [to_post(row, row["id"] in liked) for row in rows]


# Up to 100 posts by id: each author probed for a block (staff's look-ups ignore blocks).
_VISIBLE_POSTS = f"""
SELECT {POST_COLUMNS} FROM posts
WHERE id = ANY($1::uuid[]) AND {visible_to("$2", "$3")} AND {no_block_between("posts.author_id", "$2")}
"""  # noqa: S608
_ANY_POSTS = f"SELECT {POST_COLUMNS} FROM posts WHERE id = ANY($1::uuid[]) AND {staff_sees('$2', '$3')}"  # noqa: S608


async def visible_posts(connection: Connection, caller: Caller, post_ids: Sequence[uuid.UUID]) -> list[Post]:
    """The posts among ``post_ids`` that the caller may see (staff: all of them, blocks or not), in
    no particular order."""
    rows = await connection.fetch(
        _ANY_POSTS if visibility(caller) else _VISIBLE_POSTS,
        list(post_ids),
        caller.user_id,
        following_ids(caller),
    )
    return await as_seen_by(connection, caller, rows)


async def visible_post(connection: Connection, caller: Caller, post_id: uuid.UUID) -> Post:
    """One post the caller may see; :class:`PostNotFound` otherwise."""
    found = await visible_posts(connection, caller, [post_id])
    if not found:
        raise PostNotFound()
    return found[0]


async def lock_post(connection: Connection, post_id: uuid.UUID, *, for_delete: bool = False) -> Row:
    """Lock a post, whoever may see it, for a change in the current transaction; :class:`PostNotFound`
    if there is none. Callers check what the caller may do with it (see :func:`lock_visible_post`).

    Every change to a post, or to its likes and comments, starts here: writers of one post take its
    row lock first, so they queue in one order and never deadlock; and the post cannot be deleted
    while a like or comment is being added to it.
    """
    mode = "UPDATE" if for_delete else "NO KEY UPDATE"
    row = await connection.fetchrow(
        f"SELECT {POST_COLUMNS} FROM posts WHERE id = $1 FOR {mode}",  # noqa: S608
        post_id,
    )
    if row is None:
        raise PostNotFound()
    return row


async def lock_visible_post(
    connection: Connection, caller: Caller, post_id: uuid.UUID, *, for_delete: bool = False
) -> Row:
    """Lock a post the caller may see, for a change in the current transaction; :class:`PostNotFound`
    otherwise. ``for_delete``: moderators and admins remove content, whoever may read it (a reported
    followers-only or private post they cannot see), so for them any post will do. A post is not
    found when a block stands between its author and the caller, either way: nobody likes or comments
    across a block."""
    row = await lock_post(connection, post_id, for_delete=for_delete)
    if for_delete and caller.moderates:
        return row
    # Staff read any post, but like and comment as members do (where a member could).
    if not await can_read(connection, caller, row):
        raise PostNotFound()
    return row


async def can_read(connection: Connection, caller: Caller, row: Row) -> bool:
    """Whether the post ``row`` is for the caller to read as a member (staff too: for their likes and
    comments): :func:`visible_to`, and no block between its author and the caller."""
    author_id = row["author_id"]
    return (
        caller.can_see(author_id, Visibility(row["visibility"]))
        and not await author_hidden(connection, caller, author_id)
        and not await blocked(connection, caller.user_id, [author_id])
    )
