"""HTTP schemas for search."""

from __future__ import annotations

import uuid
from typing import Literal

import msgspec

from gateway.posts.schemas import Post

SearchType = Literal["users", "posts", "all"]


class FoundUser(msgspec.Struct, kw_only=True):
    """An account that matches: the summary of its public profile (private accounts are found too;
    their posts stay private)."""

    id: uuid.UUID
    username: str
    display_name: str
    is_private: bool


class SearchResults(msgspec.Struct, kw_only=True):
    """Accounts and posts matching the query, best first. A list not asked for (``type``) is empty;
    pass ``next_cursor`` as ``cursor`` for the next page (null when every list asked for is done)."""

    users: list[FoundUser]
    posts: list[Post]
    next_cursor: str | None
