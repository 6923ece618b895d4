"""The posts service's events: every change to a post writes its event to the outbox
(:mod:`servicekit.outbox`), in the transaction of the change, so the event exists exactly when the
change does. The relay (``posts/relay.py``) publishes the rows to :data:`POSTS_TOPIC`, keyed by post,
and stamps ``published_at``; while the broker is unreachable they wait.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any, TypeVar

from uuid_utils.compat import uuid7

from idl.flock.events.v1.events import POSTS_TOPIC, PostEventBase, encode, event_type
from posts.database import Connection
from servicekit import outbox

E = TypeVar("E", bound=PostEventBase)

# The table, the channel its insert trigger notifies (see the "outbox notify" migration), the lock that
# makes one relay the leader, and the relay's name towards the broker and in pg_stat_activity.
OUTBOX = outbox.Outbox(
    table="outbox",
    channel="flock_outbox",
    lock_name="flock.posts.outbox-relay",
    client_id="flock-posts-relay",
)


def new_event(
    kind: type[E],
    *,
    at: datetime.datetime,
    actor_id: uuid.UUID,
    post_id: uuid.UUID,
    post_author_id: uuid.UUID,
    **details: Any,
) -> E:
    """A ``kind`` event with a new UUIDv7 ``event_id``; ``details`` are the fields particular to it."""
    return kind(
        event_id=uuid7(),
        occurred_at=at,
        actor_id=actor_id,
        post_id=post_id,
        post_author_id=post_author_id,
        **details,
    )


async def write(connection: Connection, *events: PostEventBase) -> None:
    """Write ``events`` in one round trip, each keyed by its post so that one post's events stay in
    order. ``connection`` must be in the transaction that makes the change they describe."""
    await outbox.write(connection, OUTBOX, map(_row, events))


async def record(connection: Connection, kind: type[E], **fields: Any) -> E:
    """:func:`new_event` and :func:`write` in one."""
    event = new_event(kind, **fields)
    await write(connection, event)
    return event


def _row(event: PostEventBase) -> outbox.Row:
    return outbox.Row(
        event_id=event.event_id,
        topic=POSTS_TOPIC,
        key=str(event.post_id),
        event_type=event_type(event),
        payload=encode(event).decode(),
        occurred_at=event.occurred_at,
    )
