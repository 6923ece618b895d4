"""Keyset pagination: a page token is the key of the last item served, so a page starts right after
it however many items arrive meanwhile: nothing repeats, nothing already there is skipped.

A token is ``[list kind, key]`` in the one cursor codec (:mod:`servicekit.cursors`); it is opaque to
clients, and one made for another kind of list is refused as malformed.
"""

from __future__ import annotations

import datetime
import math
import uuid
from collections.abc import Callable, Sequence
from typing import Annotated, Generic, TypeVar

import msgspec

from posts.errors import InvalidArgument
from servicekit import cursors

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
_MAX_TOKEN_LENGTH = 256

K = TypeVar("K")
T = TypeVar("T")

# The largest float4: a search rank (a PostgreSQL real) sent back above it could not be sent on.
FLOAT4_MAX = 3.4028234663852886e38
MIN_ID = uuid.UUID(int=0)
MAX_ID = uuid.UUID(int=(1 << 128) - 1)


class LikeKey(msgspec.Struct, frozen=True, array_like=True):
    """Where a like sorts in a user's likes: most recent first, ties broken by post id."""

    liked_at: datetime.datetime
    post_id: uuid.UUID


class SearchKey(msgspec.Struct, frozen=True, array_like=True):
    """Where a post sorts among search results: best rank first, ties newest first. The rank is the
    float4 PostgreSQL computed, carried as the double that holds it exactly, so it compares equal
    when sent back; the bounds keep a forged one within what a rank and a float4 can be."""

    rank: Annotated[float, msgspec.Meta(ge=0.0, le=FLOAT4_MAX)]
    post_id: uuid.UUID


def page_size(value: int) -> int:
    """The page size asked for: 1 to 100, or 0 for the default."""
    if value == 0:
        return DEFAULT_PAGE_SIZE
    if not 0 < value <= MAX_PAGE_SIZE:
        raise InvalidArgument("page_size", f"page_size must be between 0 and {MAX_PAGE_SIZE}.")
    return value


class Keyset(Generic[K]):
    """The page tokens of one kind of list, whose items sort by a key of type ``K``."""

    def __init__(self, kind: str, key_type: type[K], first: K) -> None:
        self.kind = kind
        # The key to start the first page after: before every real key in the list's order.
        self.first = first
        self._decoder = msgspec.json.Decoder(tuple[str, key_type])  # type: ignore[valid-type]

    def encode(self, key: K) -> str:
        return cursors.encode((self.kind, key))

    def decode(self, token: str) -> K:
        """The key in ``token``, or :attr:`first` for an empty token."""
        if not token:
            return self.first
        try:
            if len(token) > _MAX_TOKEN_LENGTH:
                raise ValueError("too long")
            kind, key = cursors.decode(token, self._decoder)
            if kind != self.kind:
                raise ValueError(kind)
        except ValueError:
            raise InvalidArgument("page_token", "page_token is not one this list gave out.") from None
        return key

    def cut(self, rows: Sequence[T], size: int, key: Callable[[T], K]) -> tuple[Sequence[T], str]:
        """``rows`` fetched with ``LIMIT size + 1``, as one page and the token of the next (empty when
        this is the last): the extra row only says that there is more."""
        if len(rows) <= size:
            return rows, ""
        return rows[:size], self.encode(key(rows[size - 1]))


POSTS = Keyset("posts", uuid.UUID, first=MAX_ID)  # newest first
FEED = Keyset("feed", uuid.UUID, first=MAX_ID)  # newest first
SEARCH = Keyset("search", SearchKey, first=SearchKey(math.inf, MAX_ID))  # best match, then newest
COMMENTS = Keyset("comments", uuid.UUID, first=MIN_ID)  # oldest first
LIKES = Keyset(
    "likes", LikeKey, first=LikeKey(datetime.datetime.max.replace(tzinfo=datetime.UTC), MAX_ID)
)  # most recent first
