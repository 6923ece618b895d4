"""Flock's events: a contract between the services that publish them (the posts service through its
outbox, the gateway for views and account changes) and every consumer that reads them (the stats
consumer first).

Each event is an immutable record with a unique ``event_id`` (a UUIDv7) and the time it happened, in
UTC. Changes travel on :data:`POSTS_TOPIC` and views on :data:`VIEWS_TOPIC`, both keyed by the post
id (its canonical text, UTF-8), so one post's events stay in order within a partition; account
changes on :data:`ACCOUNTS_TOPIC`, keyed by the account id; blocks and mutes on
:data:`RELATIONSHIPS_TOPIC` and follows on :data:`FOLLOWS_TOPIC`, keyed by the pair
(:func:`relationship_key`). They are JSON,
tagged by ``type`` (``"post_liked"``…): decode any of them with :func:`decode`, then match on the
class. Delivery is at least once: consumers drop duplicates by ``event_id``.

Change these only compatibly (add fields with defaults); a breaking change is a new ``v2`` package.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Annotated, Literal, TypeAlias

import msgspec

POSTS_TOPIC = "flock.events.posts"
VIEWS_TOPIC = "flock.events.views"
ACCOUNTS_TOPIC = "flock.events.accounts"
RELATIONSHIPS_TOPIC = "flock.events.relationships"
FOLLOWS_TOPIC = "flock.events.follows"
# Every topic, as `stats setup` creates them.
TOPICS = (POSTS_TOPIC, VIEWS_TOPIC, ACCOUNTS_TOPIC, RELATIONSHIPS_TOPIC, FOLLOWS_TOPIC)
# Topic settings beyond the broker's defaults. The accounts, relationships and follows topics are compacted:
# the latest state of every account (and pair of accounts) stays, so that a consumer with a fresh
# database rebuilds its projection from the beginning; older ones go.
TOPIC_CONFIGS: dict[str, dict[str, str]] = {
    ACCOUNTS_TOPIC: {"cleanup.policy": "compact"},
    RELATIONSHIPS_TOPIC: {"cleanup.policy": "compact"},
    FOLLOWS_TOPIC: {"cleanup.policy": "compact"},
}

UtcDatetime = Annotated[datetime.datetime, msgspec.Meta(tz=True)]
# Who may read a post: everyone, the author's approved followers (and the author), the author alone.
Visibility: TypeAlias = Literal["public", "followers", "private"]
# The usernames a text mentions (``@name``), lower-cased, each once, at most MAX_MENTIONS of them.
Mentions: TypeAlias = tuple[str, ...]
MAX_MENTIONS = 10


class PostEventBase(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    """What every event says: which post, who did it and when."""

    event_id: uuid.UUID
    occurred_at: UtcDatetime
    # The user whose request made the change (for a moderator's deletion, the moderator).
    actor_id: uuid.UUID
    post_id: uuid.UUID
    post_author_id: uuid.UUID


class PostCreated(PostEventBase, frozen=True, kw_only=True, tag="post_created"):
    """A post was published, with this visibility, mentioning these usernames."""

    visibility: Visibility = "public"
    mentions: Mentions = ()


class PostUpdated(PostEventBase, frozen=True, kw_only=True, tag="post_updated"):
    """A post's text or visibility changed; ``visibility`` and ``mentions`` are as they are now."""

    visibility: Visibility = "public"
    mentions: Mentions = ()


class PostDeleted(PostEventBase, frozen=True, kw_only=True, tag="post_deleted"):
    """A post was deleted, and with it its comments and likes (no separate events for those)."""


class PostLiked(PostEventBase, frozen=True, kw_only=True, tag="post_liked"):
    """``actor_id`` liked the post (written only when a like was really added)."""


class PostUnliked(PostEventBase, frozen=True, kw_only=True, tag="post_unliked"):
    """``actor_id`` took their like back (written only when a like was really removed)."""


class CommentAdded(PostEventBase, frozen=True, kw_only=True, tag="comment_added"):
    """``actor_id`` commented on the post; ``parent_id`` is the top-level comment replied to, if any,
    and ``replied_to_author_id`` the author of the comment the reply answers (the top-level one or a
    reply in its thread). ``post_visibility`` is the post's, ``mentions`` the comment's."""

    comment_id: uuid.UUID
    parent_id: uuid.UUID | None = None
    replied_to_author_id: uuid.UUID | None = None
    post_visibility: Visibility = "public"
    mentions: Mentions = ()


class CommentDeleted(PostEventBase, frozen=True, kw_only=True, tag="comment_deleted"):
    """A comment was deleted. Deleting a top-level comment deletes its replies: one event each."""

    comment_id: uuid.UUID


class PostViewed(msgspec.Struct, frozen=True, kw_only=True, tag_field="type", tag="post_viewed"):
    """Someone read a post (``GET /posts/{id}``), published by the gateway on :data:`VIEWS_TOPIC`."""

    event_id: uuid.UUID
    occurred_at: UtcDatetime
    post_id: uuid.UUID
    post_author_id: uuid.UUID
    # The signed-in reader, or None for an anonymous one.
    actor_id: uuid.UUID | None = None
    # Who counts as one viewer: the user id, or for an anonymous reader a keyed hash of the client
    # address (never the address itself).
    viewer_key: str


AccountStatus: TypeAlias = Literal["active", "suspended", "disabled", "deleted"]


class AccountStatusChanged(
    msgspec.Struct, frozen=True, kw_only=True, tag_field="type", tag="account_status_changed"
):
    """An account's status changed (the gateway publishes it through its outbox on
    :data:`ACCOUNTS_TOPIC`, keyed by the account id). Consumers keep the latest per account: the one
    with the highest ``version``, whatever order copies arrive in.

    Its content is hidden from everyone but staff while ``hidden`` is true and ``hidden_until`` (if
    set) has not passed: a suspension ends by itself at ``hidden_until``, with no further event.
    ``deleted`` also asks the owners of its content to remove it (posts, comments, likes).
    """

    event_id: uuid.UUID
    occurred_at: UtcDatetime
    # The staff member (or the account itself, for a deletion) whose request made the change; None
    # for the command line on the server.
    actor_id: uuid.UUID | None = None
    account_id: uuid.UUID
    # Increases with every change of this account's status: apply an event only if it is newer than
    # the one applied.
    version: int
    status: AccountStatus
    # Whether the account's content is hidden (not ``active``), and until when (None: until a
    # further change).
    hidden: bool
    hidden_until: UtcDatetime | None = None


class RelationshipChanged(
    msgspec.Struct, frozen=True, kw_only=True, tag_field="type", tag="relationship_changed"
):
    """What account ``actor_id`` now does to account ``target_id``: the whole state of the pair in one
    direction, after a block, unblock, mute or unmute (the gateway publishes it through its outbox on
    :data:`RELATIONSHIPS_TOPIC`, keyed by ``"{actor_id}:{target_id}"``). Consumers keep the latest per
    pair: the one with the highest ``version``, whatever order copies arrive in.

    A block hides each account's posts and comments from the other (both ways); a mute hides the
    target's posts and comments from the actor's feed, comment lists and search (one way) until
    ``muted_until`` (None: until unmuted), and with ``mute_notifications`` their notifications too.
    """

    event_id: uuid.UUID
    occurred_at: UtcDatetime
    actor_id: uuid.UUID
    target_id: uuid.UUID
    # Increases with every change of any of the actor's relationships: apply an event only if it is
    # newer than the one applied for the pair.
    version: int
    blocking: bool
    muting: bool
    muted_until: UtcDatetime | None = None
    mute_notifications: bool = False


FollowState: TypeAlias = Literal["following", "requested", "none"]
FollowCause: TypeAlias = Literal[
    "followed",
    "requested",
    "accepted",
    "unfollowed",
    "withdrawn",
    "rejected",
    "removed",
    "blocked",
    "deleted",
]


class FollowChanged(msgspec.Struct, frozen=True, kw_only=True, tag_field="type", tag="follow_changed"):
    """Where ``follower_id`` now stands towards ``followee_id``: ``following`` (approved), ``requested``
    (waiting for a private account's owner) or ``none``, and what made it so (``cause``), done by
    ``actor_id`` (the follower, or the followee accepting, rejecting or removing; None for the
    command line). The gateway publishes it through its outbox on :data:`FOLLOWS_TOPIC`, keyed by
    ``"{follower_id}:{followee_id}"``. Consumers keep the latest per pair: the one with the highest
    ``version``, whatever order copies arrive in.
    """

    event_id: uuid.UUID
    occurred_at: UtcDatetime
    actor_id: uuid.UUID | None = None
    follower_id: uuid.UUID
    followee_id: uuid.UUID
    # Increases with every change of any pair: apply an event only if it is newer than the one
    # applied for the pair.
    version: int
    state: FollowState
    cause: FollowCause


def relationship_key(actor_id: uuid.UUID, target_id: uuid.UUID) -> str:
    """The key a pair's :class:`RelationshipChanged` events are published under."""
    return f"{actor_id}:{target_id}"


PostEvent: TypeAlias = (
    PostCreated | PostUpdated | PostDeleted | PostLiked | PostUnliked | CommentAdded | CommentDeleted
)
Event: TypeAlias = PostEvent | PostViewed | AccountStatusChanged

_decoder: msgspec.json.Decoder[Event] = msgspec.json.Decoder(Event)


AnyEvent: TypeAlias = PostEventBase | PostViewed | AccountStatusChanged | RelationshipChanged | FollowChanged


def event_type(event: AnyEvent) -> str:
    """The event's tag, as it appears in the ``type`` field (``"post_liked"``)."""
    return str(type(event).__struct_config__.tag)


def encode(event: AnyEvent) -> bytes:
    """The event as JSON."""
    return msgspec.json.encode(event)


def decode(data: bytes | str) -> Event:
    """Any event from its JSON; raises ``msgspec.ValidationError`` (or ``msgspec.DecodeError``) for
    anything else."""
    return _decoder.decode(data)
