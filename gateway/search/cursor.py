"""Search cursors: where each list of a search resumes, as one opaque token.

A cursor is base64url (unpadded) of the JSON ``{"type", "users", "posts"}``: the search type it was
made for, the key of the last account served (``[score, username]``) and the posts service's page
token. A list that is done, or was not asked for, is null; so an ``all`` cursor goes on with the list
that has more after the other one ends.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated

import msgspec

from gateway.search.schemas import SearchType
from gateway.search.users import FIRST, MAX_SCORE, UserKey
from servicekit import cursors
from servicekit.cursors import InvalidCursor

MAX_LENGTH = 1024


class MalformedCursor(InvalidCursor):
    """The cursor was not made by this API, or was made for another search type."""

    detail = "Use a cursor from a previous page of a search of the same type, unchanged."


class _UserKey(msgspec.Struct, frozen=True, array_like=True):
    score: Annotated[int, msgspec.Meta(ge=0, le=MAX_SCORE)]
    username: Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9_]{0,30}$")]


class _Cursor(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    type: SearchType
    users: _UserKey | None = None
    # The posts service's tokens are base64url too; they are checked there.
    posts: Annotated[str, msgspec.Meta(min_length=1, max_length=256, pattern=r"^[A-Za-z0-9_=-]+$")] | None = (
        None
    )


@dataclasses.dataclass(frozen=True, slots=True)
class Position:
    """Where each list resumes; None for a list that is done or was not asked for."""

    users: UserKey | None
    posts: str | None

    @classmethod
    def first(cls, kind: SearchType) -> Position:
        """The first page of a search of type ``kind``: only the lists it asks for, from their start
        (for the posts service, an empty token)."""
        return cls(users=FIRST if kind != "posts" else None, posts="" if kind != "users" else None)

    @property
    def done(self) -> bool:
        return self.users is None and self.posts is None


def _list(kind: SearchType, terms: str) -> str:
    return cursors.list_id("search", kind, terms)


def encode(kind: SearchType, terms: str, position: Position) -> str | None:
    """The cursor of ``position`` in a search of type ``kind`` for ``terms``; None when every list is
    done."""
    if position.done:
        return None
    users = _UserKey(position.users.score, position.users.username) if position.users else None
    return cursors.encode_for(_list(kind, terms), _Cursor(type=kind, users=users, posts=position.posts))


def decode(kind: SearchType, terms: str, cursor: str) -> Position:
    """The position in ``cursor``; :class:`MalformedCursor` unless a search of type ``kind`` for
    ``terms`` made it."""
    try:
        if len(cursor) > MAX_LENGTH:
            raise ValueError("too long")
        decoded = cursors.decode_for(_list(kind, terms), cursor, _Cursor)
    except (ValueError, InvalidCursor):
        raise MalformedCursor() from None
    users = UserKey(decoded.users.score, decoded.users.username) if decoded.users else None
    position = Position(users=users, posts=decoded.posts)
    first = Position.first(kind)
    stray = (users is not None and first.users is None) or (
        position.posts is not None and first.posts is None
    )
    if decoded.type != kind or position.done or stray:
        raise MalformedCursor()
    return position
