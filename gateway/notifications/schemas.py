"""Request and response bodies of the notification routes."""

from __future__ import annotations

import datetime
import uuid
from typing import Literal, TypeAlias

import msgspec

from gateway.http.schemas import Author
from gateway.posts.schemas import Post

Kind: TypeAlias = Literal[
    "follow", "follow_request", "follow_accepted", "like", "comment", "reply", "mention", "moderation"
]
KINDS: tuple[str, ...] = Kind.__args__  # type: ignore[attr-defined]


class Moderation(msgspec.Struct, kw_only=True):
    """What staff did to the recipient's account or content, and why."""

    action: str
    reason: str
    # Until when a suspension lasts (null: until lifted); null for other actions.
    until: datetime.datetime | None = None
    # The post or comment removed, for a removal.
    post_id: uuid.UUID | None = None
    comment_id: uuid.UUID | None = None


class Notification(msgspec.Struct, kw_only=True):
    """One entry: an action, or alike actions grouped (the likes of one post within a day).

    ``actors`` are the most recent few who did it (newest first), ``actor_count`` how many did in
    all: "alice, bob and 48 others liked your post" is ``actors`` [alice, bob] and ``actor_count``
    50. ``post`` is the post it is about, as the recipient may see it now."""

    id: uuid.UUID
    type: Kind
    created_at: datetime.datetime
    # When it last changed (a group gained an actor): the order of the list.
    updated_at: datetime.datetime
    read: bool
    actors: list[Author]
    actor_count: int
    post: Post | None = None
    comment_id: uuid.UUID | None = None
    moderation: Moderation | None = None


class NotificationPage(msgspec.Struct, kw_only=True):
    items: list[Notification]
    next_cursor: str | None = None


class UnreadCount(msgspec.Struct, kw_only=True):
    unread_count: int


class MarkRead(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Mark read the entry ``up_to`` and every entry below it in the list."""

    up_to: uuid.UUID
