"""HTTP schemas for posts, comments and likes."""

from __future__ import annotations

import datetime
import uuid
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

from gateway.http.schemas import Author

Visibility = Annotated[
    Literal["public", "followers", "private"],
    msgspec.Meta(
        description="`public`: anyone, signed in or not. `followers`: the author and their approved "
        "followers. `private`: only the author."
    ),
]
# The posts service owns the rules (it trims, then counts, and refuses control characters and
# bidirectional overrides); the gateway describes them, and refuses text with nothing but white space
# or with those characters before it asks.
_FORBIDDEN = "\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f\\u202a-\\u202e\\u2066-\\u2069"
TEXT_PATTERN = f"^[^{_FORBIDDEN}]*[^\\s{_FORBIDDEN}][^{_FORBIDDEN}]*$"
PostText = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        pattern=TEXT_PATTERN,
        description="1–5000 characters once outer white space is trimmed; line breaks and tabs, but no "
        "other control characters or bidirectional overrides.",
    ),
]
CommentText = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        pattern=TEXT_PATTERN,
        description="1–2000 characters once outer white space is trimmed; line breaks and tabs, but no "
        "other control characters or bidirectional overrides.",
    ),
]


class PostCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A new post. Without ``visibility``, it is ``public``, or ``followers`` if the author's account
    is private."""

    text: PostText
    visibility: Visibility | UnsetType = UNSET


class PostUpdate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Changes to one's own post; absent fields stay as they are."""

    text: PostText | UnsetType = UNSET
    visibility: Visibility | UnsetType = UNSET


class Post(msgspec.Struct, kw_only=True):
    """A post as the caller sees it."""

    id: uuid.UUID
    author: Author
    text: str
    visibility: Visibility
    created_at: datetime.datetime
    updated_at: datetime.datetime
    like_count: int
    comment_count: int
    liked_by_me: bool


class PostPage(msgspec.Struct, kw_only=True):
    """A page of posts; pass ``next_cursor`` as ``cursor`` for the next one (null on the last page)."""

    items: list[Post]
    next_cursor: str | None


class CommentCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A comment on a post; with ``parent_id``, a reply to one of its comments (a reply to a reply
    joins the same thread)."""

    text: CommentText
    parent_id: uuid.UUID | None = None


class Comment(msgspec.Struct, kw_only=True):
    """A comment, or a reply (``parent_id`` set). Replies are listed with ``?parent_id=``."""

    id: uuid.UUID
    post_id: uuid.UUID
    parent_id: uuid.UUID | None
    author: Author
    text: str
    created_at: datetime.datetime
    reply_count: int


class CommentPage(msgspec.Struct, kw_only=True):
    """A page of comments, oldest first; pass ``next_cursor`` as ``cursor`` for the next one."""

    items: list[Comment]
    next_cursor: str | None
