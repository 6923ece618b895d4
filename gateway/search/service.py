"""Search across accounts and posts: one query, up to two lists, each paged on its own."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Protocol

from gateway.clients import Page, PostRecord
from gateway.search.cursor import Position
from gateway.search.users import UserKey, UserMatch, search_users

MIN_LENGTH = 2
MAX_LENGTH = 200


class PostSearch(Protocol):
    """Where posts are searched (``PostsClient``, acting for the caller)."""

    async def search_posts(self, query: str, limit: int, cursor: str | None) -> Page[PostRecord]: ...


@dataclasses.dataclass(frozen=True, slots=True)
class Found:
    """One page of results, and where the next one starts."""

    users: list[UserMatch]
    posts: list[PostRecord]
    next: Position


async def _users(terms: str, limit: int, after: UserKey | None) -> tuple[list[UserMatch], UserKey | None]:
    return await search_users(terms, limit, after) if after is not None else ([], None)


async def _posts(posts: PostSearch, terms: str, limit: int, token: str | None) -> Page[PostRecord]:
    # An empty token asks the posts service for its first page.
    return await posts.search_posts(terms, limit, token or None) if token is not None else Page([], None)


async def search(terms: str, limit: int, position: Position, posts: PostSearch) -> Found:
    """Up to ``limit`` accounts and up to ``limit`` posts matching ``terms`` (already validated), from
    ``position`` on; both lists are searched at once."""
    (users, next_user), page = await asyncio.gather(
        _users(terms, limit, position.users), _posts(posts, terms, limit, position.posts)
    )
    return Found(users=users, posts=page.items, next=Position(users=next_user, posts=page.next_cursor))
