"""What the posts service knows of accounts: the gateway's ``AccountStatusChanged`` events, consumed
from :data:`~idl.flock.events.v1.events.ACCOUNTS_TOPIC` into ``account_states`` (the newest version of
each account wins, whatever order copies arrive in), which every read path filters on
(:func:`posts.queries.not_hidden`). A ``deleted`` account's posts, comments and likes are removed
(:func:`purge`), each with its event, so statistics follow. The same consumer reads the blocks and
mutes from :data:`~idl.flock.events.v1.events.RELATIONSHIPS_TOPIC` (``posts/relations.py``).

The consumer commits a batch's offsets only after the database has it; a batch that fails is read
again (applying an event twice changes nothing: its version is no longer newer). It runs beside the
gRPC server for as long as it serves; with no broker configured there is none.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import msgspec
from faststream.kafka.message import KafkaMessage

from idl.flock.events.v1 import events
from idl.flock.events.v1.events import (
    AccountStatusChanged,
    CommentDeleted,
    PostDeleted,
    PostUnliked,
    RelationshipChanged,
)
from posts import outbox, relations
from posts.database import Database
from posts.domain import now
from posts.settings import PostsSettings
from servicekit import kafka
from servicekit.backoff import Backoff

log = logging.getLogger("flock.posts.accounts")

# Rows removed per transaction when purging a deleted account: a long purge never holds many locks.
PURGE_BATCH = 500

_APPLY = """
INSERT INTO account_states (account_id, version, status, hidden, hidden_until, updated_at)
VALUES ($1, $2, $3, $4, $5, now())
ON CONFLICT (account_id) DO UPDATE
SET version = EXCLUDED.version, status = EXCLUDED.status, hidden = EXCLUDED.hidden,
    hidden_until = EXCLUDED.hidden_until, updated_at = now()
WHERE account_states.version < EXCLUDED.version
"""
# A deleted account stays hidden until its purge is done (:func:`purged`).
_TO_PURGE = """
SELECT account_id FROM account_states
WHERE account_id = ANY($1::uuid[]) AND status = 'deleted' AND hidden
ORDER BY account_id
"""
# Once nothing of a deleted account is left, the filter need not know it: only hidden accounts are in
# the index every read path probes (``account_states_hidden``), so the accounts deleted over the
# years do not slow the reads down. A write that was on its way stays refused
# (:func:`posts.queries.refuse_deleted`).
_PURGED = """
UPDATE account_states SET hidden = false, updated_at = now() WHERE account_id = $1 AND status = 'deleted'
"""


async def apply(database: Database, changes: Sequence[AccountStatusChanged]) -> list[uuid.UUID]:
    """Keep the newest of ``changes`` per account; the accounts among them that are deleted and not
    yet purged (also when their event came before: a purge that failed is tried again with the batch)."""
    async with database.transaction() as connection:
        for change in sorted(changes, key=lambda c: (str(c.account_id), c.version)):
            await connection.execute(
                _APPLY,
                change.account_id,
                change.version,
                change.status,
                change.hidden,
                change.hidden_until,
            )
        rows = await connection.fetch(_TO_PURGE, list({change.account_id for change in changes}))
    return [row["account_id"] for row in rows]


_UNLIKE = """
WITH gone AS (
    DELETE FROM likes WHERE id IN (SELECT id FROM likes WHERE user_id = $1 ORDER BY id LIMIT $2)
    RETURNING post_id
)
UPDATE posts SET like_count = like_count - 1 FROM gone WHERE posts.id = gone.post_id
RETURNING posts.id, posts.author_id
"""
# A top-level comment goes with its replies (whoever wrote them); a reply alone.
_COMMENTS = "SELECT id, post_id, parent_id FROM comments WHERE author_id = $1 ORDER BY id LIMIT $2"
_DELETE_COMMENTS = """
DELETE FROM comments WHERE id = ANY($1::uuid[]) OR parent_id = ANY($1::uuid[])
RETURNING id, post_id, parent_id
"""
_POST_AUTHORS = "SELECT id, author_id FROM posts WHERE id = ANY($1::uuid[]) ORDER BY id FOR NO KEY UPDATE"
_COUNT_COMMENTS = "UPDATE posts SET comment_count = comment_count - $2 WHERE id = $1"
_COUNT_REPLIES = "UPDATE comments SET reply_count = reply_count - $2 WHERE id = $1"
_DELETE_POSTS = """
DELETE FROM posts WHERE id IN (SELECT id FROM posts WHERE author_id = $1 ORDER BY id LIMIT $2)
RETURNING id
"""


async def purge(database: Database, account_id: uuid.UUID, *, batch: int = PURGE_BATCH) -> int:
    """Remove everything of a deleted account: its likes, its comments (with the replies to them), its
    posts (with their comments and likes), each with its event; then mark it purged. The rows
    removed. Idempotent: a second run finds nothing."""
    removed = 0
    while (count := await _purge_likes(database, account_id, batch)) > 0:
        removed += count
    while (count := await _purge_comments(database, account_id, batch)) > 0:
        removed += count
    while (count := await _purge_posts(database, account_id, batch)) > 0:
        removed += count
    async with database.connection() as connection:
        await connection.execute(_PURGED, account_id)
    return removed


async def _purge_likes(database: Database, account_id: uuid.UUID, batch: int) -> int:
    async with database.transaction() as connection:
        rows = await connection.fetch(_UNLIKE, account_id, batch)
        at = now()
        await outbox.write(
            connection,
            *(
                outbox.new_event(
                    PostUnliked,
                    at=at,
                    actor_id=account_id,
                    post_id=row["id"],
                    post_author_id=row["author_id"],
                )
                for row in rows
            ),
        )
        return len(rows)


async def _purge_comments(database: Database, account_id: uuid.UUID, batch: int) -> int:
    async with database.transaction() as connection:
        found = await connection.fetch(_COMMENTS, account_id, batch)
        if not found:
            return 0
        # Writers lock a post before its comments: so does this, in one order.
        authors = {
            row["id"]: row["author_id"]
            for row in await connection.fetch(_POST_AUTHORS, list({row["post_id"] for row in found}))
        }
        deleted = await connection.fetch(_DELETE_COMMENTS, [row["id"] for row in found])
        gone = {row["id"] for row in deleted}
        per_post: dict[uuid.UUID, int] = {}
        per_thread: dict[uuid.UUID, int] = {}
        for row in deleted:
            per_post[row["post_id"]] = per_post.get(row["post_id"], 0) + 1
            if row["parent_id"] is not None and row["parent_id"] not in gone:
                per_thread[row["parent_id"]] = per_thread.get(row["parent_id"], 0) + 1
        for post_id, count in sorted(per_post.items()):
            await connection.execute(_COUNT_COMMENTS, post_id, count)
        for thread, count in sorted(per_thread.items()):
            await connection.execute(_COUNT_REPLIES, thread, count)
        at = now()
        await outbox.write(
            connection,
            *(
                outbox.new_event(
                    CommentDeleted,
                    at=at,
                    actor_id=account_id,
                    post_id=row["post_id"],
                    post_author_id=authors[row["post_id"]],
                    comment_id=row["id"],
                )
                for row in deleted
            ),
        )
        return len(deleted)


async def _purge_posts(database: Database, account_id: uuid.UUID, batch: int) -> int:
    async with database.transaction() as connection:
        rows = await connection.fetch(_DELETE_POSTS, account_id, batch)
        at = now()
        await outbox.write(
            connection,
            *(
                outbox.new_event(
                    PostDeleted, at=at, actor_id=account_id, post_id=row["id"], post_author_id=account_id
                )
                for row in rows
            ),
        )
        return len(rows)


# What each topic carries; a record that is not one of its type is skipped.
_Decoder = msgspec.json.Decoder[AccountStatusChanged] | msgspec.json.Decoder[RelationshipChanged]
_DECODERS: dict[str, _Decoder] = {
    events.ACCOUNTS_TOPIC: msgspec.json.Decoder(AccountStatusChanged),
    events.RELATIONSHIPS_TOPIC: msgspec.json.Decoder(RelationshipChanged),
}


class AccountsConsumer:
    """Reads the account events into ``account_states``, and the relationship events into
    ``relations``, until stopped."""

    def __init__(self, settings: PostsSettings, database: Database) -> None:
        self._database = database
        self.subscriber = kafka.BatchConsumer(
            settings.kafka_bootstrap,
            list(_DECODERS),
            self._handle,
            client_id="flock-posts-accounts",
            group_id=settings.accounts_group,
            max_records=1000,
            batch_timeout_ms=settings.accounts_batch_timeout_ms,
            session_timeout_ms=10_000,
            graceful_timeout=settings.grace_seconds,
            logger=logging.getLogger("flock.posts.kafka"),
        )

    async def _handle(self, message: KafkaMessage) -> None:
        raw = kafka.records_of(message)
        changes: list[AccountStatusChanged] = []
        pairs: list[RelationshipChanged] = []
        offsets = {}
        for record in raw:
            offsets[(record.topic, record.partition)] = record.offset + 1
            try:
                event = _DECODERS[record.topic].decode(record.value)
            except (msgspec.DecodeError, msgspec.ValidationError):
                log.warning(
                    "skipping a record that is no %s event at %s/%d",
                    "account" if record.topic == events.ACCOUNTS_TOPIC else "relationship",
                    record.topic,
                    record.offset,
                )
                continue
            if isinstance(event, AccountStatusChanged):
                changes.append(event)
            else:
                pairs.append(event)
        backoff = Backoff()
        while True:
            try:
                # Each part is idempotent: when the second fails, the first is applied again, unchanged.
                if changes:
                    for account_id in await apply(self._database, changes):
                        removed = await purge(self._database, account_id)
                        log.info("account %s deleted: %d of its rows removed", account_id, removed)
                if pairs:
                    await relations.apply(self._database, pairs)
                break
            except Exception as error:  # noqa: BLE001 - the database is back sooner or later
                delay = backoff.next()
                log.warning(
                    "applying %d account and %d relationship events failed, again in %.1f s: %r",
                    len(changes),
                    len(pairs),
                    delay,
                    error,
                )
                await asyncio.sleep(delay)
        await kafka.commit(message, offsets)


@asynccontextmanager
async def running(settings: PostsSettings, database: Database) -> AsyncIterator[None]:
    """The consumer in the background for the block (none without a broker); it connects, and
    connects again, until the broker answers."""
    if not settings.kafka_bootstrap:
        yield
        return
    consumer = AccountsConsumer(settings, database)
    async with kafka.consuming(consumer.subscriber, name="the account events consumer", log=log):
        yield
