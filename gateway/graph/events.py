"""Follow events: every change of a follow or request is written, as a
:class:`~idl.flock.events.v1.events.FollowChanged` with the pair's new state, to the gateway's outbox
in the transaction of the change, and the relay publishes it on
:data:`~idl.flock.events.v1.events.FOLLOWS_TOPIC` (the notifier turns them into notifications).

Order. Two changes of one pair touch the same ``follows`` row (or, for a follow after an unfollow,
the same unique-index entry), so PostgreSQL runs them one after the other; each takes its version from
the ``follow_event_version`` sequence after its statement, so a pair's versions increase in the order
its changes commit.
"""

from __future__ import annotations

import dataclasses
import datetime
import uuid
from collections.abc import Sequence

from uuid_utils.compat import uuid7

from gateway.outbox import OUTBOX
from idl.flock.events.v1.events import (
    FOLLOWS_TOPIC,
    FollowCause,
    FollowChanged,
    FollowState,
    encode,
    event_type,
    relationship_key,
)
from servicekit import outbox
from servicekit.database import Connection

_VERSIONS = "SELECT nextval('follow_event_version') FROM generate_series(1, $1)"


@dataclasses.dataclass(frozen=True, slots=True)
class FollowChange:
    """A pair's new state, and why."""

    follower_id: uuid.UUID
    followee_id: uuid.UUID
    state: FollowState
    cause: FollowCause


async def record(connection: Connection, actor_id: uuid.UUID | None, changes: Sequence[FollowChange]) -> None:
    """Write ``changes``, made by ``actor_id``, to the outbox on ``connection`` (in the change's
    transaction)."""
    if not changes:
        return
    versions = [row[0] for row in await connection.fetch(_VERSIONS, len(changes))]
    at = datetime.datetime.now(tz=datetime.UTC)
    rows = []
    for change, version in zip(changes, versions, strict=True):
        event = FollowChanged(
            event_id=uuid7(),
            occurred_at=at,
            actor_id=actor_id,
            follower_id=change.follower_id,
            followee_id=change.followee_id,
            version=version,
            state=change.state,
            cause=change.cause,
        )
        rows.append(
            outbox.Row(
                event_id=event.event_id,
                topic=FOLLOWS_TOPIC,
                key=relationship_key(change.follower_id, change.followee_id),
                event_type=event_type(event),
                payload=encode(event).decode(),
                occurred_at=at,
            )
        )
    await outbox.write(connection, OUTBOX, rows)
