"""The service's vocabulary on plain types: callers, posts, comments, pages, and the checks every
request field goes through."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import re
import uuid
from collections.abc import Sequence
from typing import Generic, TypeVar

from idl.flock import wire
from idl.flock.events.v1.events import MAX_MENTIONS
from idl.flock.wire import MAX_FOLLOWING
from posts.errors import InvalidArgument, NotSignedIn

MAX_POST_TEXT = 5000
MAX_COMMENT_TEXT = 2000

T = TypeVar("T")


class Role(enum.Enum):
    USER = "user"
    MODERATOR = "moderator"
    ADMIN = "admin"


# ``@name`` where a word starts (not inside an e-mail address or another word), as usernames are spelled.
_MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_]{3,30})(?![\w@])")


def mentions(text: str) -> tuple[str, ...]:
    """The usernames ``text`` mentions, lower-cased, each once, in order, at most MAX_MENTIONS."""
    found = dict.fromkeys(name.lower() for name in _MENTION.findall(text))
    return tuple(found)[:MAX_MENTIONS]


class Visibility(enum.Enum):
    PUBLIC = "public"
    FOLLOWERS = "followers"  # the author and the accounts that follow them
    PRIVATE = "private"


@dataclasses.dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling, as the gateway authenticated them; ``user_id`` is None when anonymous.

    ``following`` is the accounts the caller follows, as the gateway's social graph says at the time
    of the call: the service keeps no copy of the graph and trusts the list as it trusts ``user_id``.
    An anonymous caller follows nobody, whatever the request said.
    """

    user_id: uuid.UUID | None
    role: Role = Role.USER
    following: frozenset[uuid.UUID] = frozenset()

    def __post_init__(self) -> None:
        if self.user_id is None and self.following:
            object.__setattr__(self, "following", frozenset())

    @property
    def moderates(self) -> bool:
        """Moderators and admins may remove other people's content."""
        return self.role in (Role.MODERATOR, Role.ADMIN)

    def signed_in(self) -> uuid.UUID:
        """The caller's id; raises :class:`NotSignedIn` for an anonymous caller."""
        if self.user_id is None:
            raise NotSignedIn()
        return self.user_id

    def can_see(self, author_id: uuid.UUID, visibility: Visibility) -> bool:
        """Public posts are for everyone; a followers-only one for its author and the callers who
        follow them; a private one exists only for its author. ``queries.visible_to`` says the same in
        SQL."""
        return (
            visibility is Visibility.PUBLIC
            or author_id == self.user_id
            or (visibility is Visibility.FOLLOWERS and author_id in self.following)
        )


@dataclasses.dataclass(frozen=True, slots=True)
class Post:
    """A post as one caller sees it."""

    id: uuid.UUID
    author_id: uuid.UUID
    text: str
    visibility: Visibility
    created_at: datetime.datetime
    updated_at: datetime.datetime
    like_count: int
    comment_count: int
    liked_by_caller: bool


@dataclasses.dataclass(frozen=True, slots=True)
class Comment:
    id: uuid.UUID
    post_id: uuid.UUID
    author_id: uuid.UUID
    parent_id: uuid.UUID | None
    text: str
    created_at: datetime.datetime
    reply_count: int


@dataclasses.dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list; ``next_page_token`` is empty on the last one."""

    items: Sequence[T]
    next_page_token: str = ""


def now() -> datetime.datetime:
    """The time of a change: the service's clock, in UTC."""
    return datetime.datetime.now(tz=datetime.UTC)


def parse_id(value: str, field: str) -> uuid.UUID:
    """A required id in its canonical text form (``8-4-4-4-12`` hex digits)."""
    if not value:
        raise InvalidArgument(field, f"{field} is required.")
    try:
        return wire.parse_id(value)
    except ValueError:
        raise InvalidArgument(field, f"{field} is not a valid id.") from None


def parse_optional_id(value: str, field: str) -> uuid.UUID | None:
    """An optional id: empty means none."""
    return parse_id(value, field) if value else None


def parse_following(values: Sequence[str], field: str = "caller.following") -> frozenset[uuid.UUID]:
    """The accounts a caller follows: at most :data:`MAX_FOLLOWING` ids, each in canonical form
    (repeats count once)."""
    if len(values) > MAX_FOLLOWING:
        raise InvalidArgument(field, f"{field} names {len(values)} accounts; the limit is {MAX_FOLLOWING}.")
    try:
        return frozenset(parse_id(value, field) for value in values)
    except InvalidArgument:
        raise InvalidArgument(field, f"{field} holds something that is not a valid id.") from None


# What posts and comments may not hold: the C0 and C1 control characters but tab and line feed (NUL
# among them, which PostgreSQL text cannot store; CR too, as in display names and bios: line breaks are
# LF), and the bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), which
# reorder what a reader sees ("Trojan Source"). Everything else is kept: every script, combining marks,
# emoji and their zero-width joiners, tag sequences, and the directional marks U+200E, U+200F and
# U+061C that right-to-left text needs.
_REFUSED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _trimmed(value: str, *, limit: int, field: str) -> str:
    text = value.strip()
    if not text:
        raise InvalidArgument(field, f"{field} must not be empty.")
    if len(text) > limit:
        raise InvalidArgument(field, f"{field} is {len(text)} characters long; the limit is {limit}.")
    return text


def clean_text(value: str, *, limit: int, field: str = "text") -> str:
    """The text of a post or comment: ``value`` trimmed, if 1 to ``limit`` characters remain and none
    is a control character other than tab and line feed, or a bidirectional override or isolate."""
    text = _trimmed(value, limit=limit, field=field)
    refused = _REFUSED.search(text)
    if refused:
        raise InvalidArgument(
            field,
            f"{field} must not contain control characters (other than tab and line feed) or"
            f" bidirectional overrides; it holds U+{ord(refused.group()):04X}"
            f" at character {refused.start() + 1}.",
        )
    return text


def clean_query(value: str, *, limit: int, field: str = "query") -> str:
    """A search query: ``value`` trimmed, if 1 to ``limit`` characters remain and none is a NUL (which
    PostgreSQL text cannot hold). It is matched, never stored or shown, so nothing else is refused."""
    text = _trimmed(value, limit=limit, field=field)
    if "\x00" in text:
        raise InvalidArgument(field, f"{field} must not contain NUL characters.")
    return text
