"""The events of the posts service: a contract between the service that writes them (through its
outbox) and every consumer that reads them (the stats consumer first).

Each event is an immutable record with a unique ``event_id`` (a UUIDv7) and the time it happened, in
UTC. All of them travel on :data:`POSTS_TOPIC`, keyed by the post id, so one post's events stay in
order within a partition. They are JSON, tagged by ``type`` (``"post_liked"``…): decode any of them
with :func:`decode`, then match on the class. Delivery is at least once: consumers drop duplicates by
``event_id``.

Change these only compatibly (add fields with defaults); a breaking change is a new ``v2`` package.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Annotated, TypeAlias

import msgspec

POSTS_TOPIC = "flock.events.posts"

UtcDatetime = Annotated[datetime.datetime, msgspec.Meta(tz=True)]


class PostEventBase(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    """What every event says: which post, who did it and when."""

    event_id: uuid.UUID
    occurred_at: UtcDatetime
    # The user whose request made the change (for a moderator's deletion, the moderator).
    actor_id: uuid.UUID
    post_id: uuid.UUID
    post_author_id: uuid.UUID


class PostCreated(PostEventBase, frozen=True, kw_only=True, tag="post_created"):
    """A post was published."""


class PostUpdated(PostEventBase, frozen=True, kw_only=True, tag="post_updated"):
    """A post's text or visibility changed."""


class PostDeleted(PostEventBase, frozen=True, kw_only=True, tag="post_deleted"):
    """A post was deleted, and with it its comments and likes (no separate events for those)."""


class PostLiked(PostEventBase, frozen=True, kw_only=True, tag="post_liked"):
    """``actor_id`` liked the post (written only when a like was really added)."""


class PostUnliked(PostEventBase, frozen=True, kw_only=True, tag="post_unliked"):
    """``actor_id`` took their like back (written only when a like was really removed)."""


class CommentAdded(PostEventBase, frozen=True, kw_only=True, tag="comment_added"):
    """``actor_id`` commented on the post; ``parent_id`` is the top-level comment replied to, if any."""

    comment_id: uuid.UUID
    parent_id: uuid.UUID | None = None


class CommentDeleted(PostEventBase, frozen=True, kw_only=True, tag="comment_deleted"):
    """A comment was deleted. Deleting a top-level comment deletes its replies: one event each."""

    comment_id: uuid.UUID


PostEvent: TypeAlias = (
    PostCreated | PostUpdated | PostDeleted | PostLiked | PostUnliked | CommentAdded | CommentDeleted
)

_decoder: msgspec.json.Decoder[PostEvent] = msgspec.json.Decoder(PostEvent)


def event_type(event: PostEventBase) -> str:
    """The event's tag, as it appears in the ``type`` field (``"post_liked"``)."""
    return str(type(event).__struct_config__.tag)


def encode(event: PostEventBase) -> bytes:
    """The event as JSON."""
    return msgspec.json.encode(event)


def decode(data: bytes | str) -> PostEvent:
    """Any posts event from its JSON; raises ``msgspec.ValidationError`` for anything else."""
    return _decoder.decode(data)
