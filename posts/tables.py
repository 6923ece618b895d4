"""Piccolo tables of the posts database: the schema its migrations are made from.

The service reads and writes them with SQL through the engine's asyncpg pool (see ``database.py``):
its writes lean on ``ON CONFLICT``, row locks and counters that the query builder does not express.
The composite and partial indexes the keyset queries need are added by a hand-written migration (the
"keyset indexes" one in ``piccolo_migrations/``): Piccolo tables declare single-column ones only. So
are what the feed and search need (the "feed and search" one): ``posts.search_vector``, a generated
tsvector column that Piccolo cannot declare (nothing here reads it through the table), its GIN index,
and the index of an author's posts that includes their visibility.
"""

from __future__ import annotations

from piccolo.columns import JSONB, UUID, BigInt, BigSerial, Boolean, ForeignKey, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.constraints import Check, Unique
from piccolo.table import Table

MAX_IDEMPOTENCY_KEY = 200


class Post(Table, tablename="posts"):
    """A post. ``like_count`` and ``comment_count`` are kept in the transaction that adds or removes a
    like or comment, so they always equal the rows they count."""

    id = UUID(primary_key=True)  # a UUIDv7 from the service: ids sort by creation time
    author_id = UUID(null=False)
    text = Text(null=False)
    visibility = Varchar(length=16, null=False, default="public")
    created_at = Timestamptz(null=False)
    updated_at = Timestamptz(null=False)
    like_count = BigInt(null=False, default=0)
    comment_count = BigInt(null=False, default=0)

    # Piccolo compares constraints by name only: the "feed and search" migration changed this one.
    known_visibility = Check("visibility IN ('public', 'followers', 'private')")
    counts_not_negative = Check("like_count >= 0 AND comment_count >= 0")


class Comment(Table, tablename="comments"):
    """A comment on a post, or a reply to a top-level comment (``parent_id``): one level deep."""

    id = UUID(primary_key=True)  # a UUIDv7
    post_id = ForeignKey(references=Post, on_delete=OnDelete.cascade, null=False)
    parent_id: ForeignKey[Comment] = ForeignKey(
        references="self", on_delete=OnDelete.cascade, null=True, default=None
    )
    author_id = UUID(null=False)
    text = Text(null=False)
    created_at = Timestamptz(null=False)
    reply_count = BigInt(null=False, default=0)

    reply_count_not_negative = Check("reply_count >= 0")


class Like(Table, tablename="likes"):
    """One user's like of one post: the unique constraint is what makes it at most one."""

    id = BigSerial(primary_key=True)
    post_id = ForeignKey(references=Post, on_delete=OnDelete.cascade, null=False, index=True)
    user_id = UUID(null=False)
    liked_at = Timestamptz(null=False)

    one_like_per_user = Unique(["user_id", "post_id"])


class IdempotencyKey(Table, tablename="idempotency_keys"):
    """An idempotency key of a CreatePost or an AddComment and what it created (see
    ``posts/idempotency.py``): one key space per author. Rows older than 24 hours count as gone.
    ``post_id`` (the post created, or commented on) and ``comment_id`` (the comment created; null for a
    post) are deliberately not foreign keys: the key outlives what it made, so that a replay after a
    delete answers NOT_FOUND rather than making it again."""

    id = BigSerial(primary_key=True)
    author_id = UUID(null=False)
    key = Varchar(length=MAX_IDEMPOTENCY_KEY, null=False)
    # SHA-256 of what the request asked for: a reused key with another request is refused.
    fingerprint = Varchar(length=64, null=False)
    post_id = UUID(null=False)
    comment_id = UUID(null=True, default=None)
    created_at = Timestamptz(null=False, index=True)

    one_per_author = Unique(["author_id", "key"])


class OutboxEvent(Table, tablename="outbox"):
    """An event written in the transaction of the change it describes, waiting for the relay to
    publish it (``published_at`` is null until then)."""

    id = BigSerial(primary_key=True)
    event_id = UUID(null=False, unique=True)
    topic = Text(null=False)
    key = Text(null=False)
    event_type = Text(null=False)
    payload = JSONB(null=False)
    occurred_at = Timestamptz(null=False)
    published_at = Timestamptz(null=True, default=None)


class AccountState(Table, tablename="account_states"):
    """What the gateway's account events say of an account, the newest ``version`` kept
    (``posts/accounts.py``): its posts and comments are hidden from everyone but staff while
    ``hidden`` and ``hidden_until`` is null or still ahead. Accounts never suspended have no row."""

    account_id = UUID(primary_key=True)
    version = BigInt(null=False)
    status = Varchar(length=16, null=False)
    hidden = Boolean(null=False)
    hidden_until = Timestamptz(null=True, default=None)
    updated_at = Timestamptz(null=False)


class Relation(Table, tablename="relations"):
    """What account ``actor_id`` does to account ``target_id``, as the gateway's relationship events
    say, the newest ``version`` kept (``posts/relations.py``). A row stays after an unblock or unmute:
    its version is what keeps an older copy of an event, arriving late, from applying. The partial
    indexes every read path probes (the pairs that block, both ways, and those that mute) come from the
    hand-written "relation indexes" migration."""

    id = BigSerial(primary_key=True)
    actor_id = UUID(null=False)
    target_id = UUID(null=False)
    version = BigInt(null=False)
    blocking = Boolean(null=False)
    muting = Boolean(null=False)
    # Null: muted until unmuted. A timed mute ends by itself (compared with the clock).
    muted_until = Timestamptz(null=True, default=None)
    mute_notifications = Boolean(null=False)
    updated_at = Timestamptz(null=False)

    one_per_pair = Unique(["actor_id", "target_id"])


class ModerationRemoval(Table, tablename="moderation_removals"):
    """A post a moderator removed: what its author is told (410 ``post_removed``) instead of a plain
    not found, and the record of who removed it and why, written in the transaction of the removal."""

    post_id = UUID(primary_key=True)
    author_id = UUID(null=False, index=True)
    removed_by = UUID(null=False)
    reason = Text(null=False)
    removed_at = Timestamptz(null=False)
