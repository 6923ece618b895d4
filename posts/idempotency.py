"""Idempotency keys: a create (a post, a comment) sent again by the same author with the same key
within 24 hours answers with what the first one made instead of making it again.

One table (``idempotency_keys``) serves every kind of create, and each author has one key space: a key
names one request, whatever it asked for. What it asked for is kept as a fingerprint, so that a key
coming back with another request (another text, another post) is refused rather than replayed. The
claim is made in the transaction of the create, so the key and what it made commit together or not
at all; a concurrent request with the same key waits on the key's row until the first commits, then
sees what it made.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import uuid

from posts.database import Connection
from posts.errors import IdempotencyKeyReused, InvalidArgument
from posts.tables import MAX_IDEMPOTENCY_KEY

REPLAY_WINDOW = datetime.timedelta(hours=24)

# Claims a key for the request and answers whose it is: ours if the key is new or its earlier use has
# expired, otherwise the earlier request's (which stays as it was).
_CLAIM = """
INSERT INTO idempotency_keys AS k (author_id, key, fingerprint, post_id, comment_id, created_at)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (author_id, key) DO UPDATE SET
    fingerprint = CASE WHEN k.created_at <= $7 THEN excluded.fingerprint ELSE k.fingerprint END,
    post_id = CASE WHEN k.created_at <= $7 THEN excluded.post_id ELSE k.post_id END,
    comment_id = CASE WHEN k.created_at <= $7 THEN excluded.comment_id ELSE k.comment_id END,
    created_at = CASE WHEN k.created_at <= $7 THEN excluded.created_at ELSE k.created_at END
RETURNING post_id, comment_id, fingerprint
"""


@dataclasses.dataclass(frozen=True, slots=True)
class Earlier:
    """What the earlier request with the same key made: a post, or a comment on ``post_id``."""

    post_id: uuid.UUID
    comment_id: uuid.UUID | None


def check_key(key: str) -> None:
    """Refuse a key the table cannot hold (an empty key means the request has none)."""
    if len(key) > MAX_IDEMPOTENCY_KEY:
        raise InvalidArgument(
            "idempotency_key", f"idempotency_key is longer than {MAX_IDEMPOTENCY_KEY} characters."
        )
    if "\x00" in key:
        raise InvalidArgument("idempotency_key", "idempotency_key must not contain NUL characters.")


def fingerprint(*asked: str) -> str:
    """The fingerprint of a request, from what it asked for (a post's visibility and text)."""
    return hashlib.sha256("\n".join(asked).encode()).hexdigest()


async def claim(
    connection: Connection,
    author_id: uuid.UUID,
    key: str,
    fingerprint: str,
    *,
    at: datetime.datetime,
    post_id: uuid.UUID,
    comment_id: uuid.UUID | None = None,
) -> Earlier | None:
    """Claim ``key`` for what this request is about to make (the post ``post_id``, or the comment
    ``comment_id`` on it). None: the key is ours, go ahead. Otherwise what the earlier request with the
    same key and fingerprint made; :class:`IdempotencyKeyReused` if its fingerprint is another."""
    row = await connection.fetchrow(
        _CLAIM, author_id, key, fingerprint, post_id, comment_id, at, at - REPLAY_WINDOW
    )
    if (row["post_id"], row["comment_id"]) == (post_id, comment_id):
        return None
    if row["fingerprint"] != fingerprint:
        raise IdempotencyKeyReused()
    return Earlier(row["post_id"], row["comment_id"])
