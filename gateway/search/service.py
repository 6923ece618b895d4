"""Search across accounts and posts: one query, up to two lists, each paged on its own."""

from __future__ import annotations

import asyncio
import uuid

from gateway.clients.posts import Page, PostRecord, PostsClient
from gateway.posts.presenters import post_views
from gateway.search import cursor as search_cursors
from gateway.search.cursor import Position
from gateway.search.schemas import FoundUser, SearchResults, SearchType
from gateway.search.users import UserKey, UserMatch, search_users
from gateway.users.service import Accounts
from servicekit.database import Database
from servicekit.errors import Invalid

MIN_LENGTH = 2
MAX_LENGTH = 200


class QueryLength(Invalid):
    """The search terms are too short or too long once trimmed."""

    detail = f"`q` must be {MIN_LENGTH}–{MAX_LENGTH} characters once outer white space is trimmed."
    field = "q"


class QueryCharacters(Invalid):
    """The search terms hold a control character (a NUL, which PostgreSQL text cannot hold, or
    another C0/C1 control): no name or post can contain one, so nothing could match."""

    detail = "`q` must not contain control characters."
    field = "q"


_CONTROLS = frozenset(chr(c) for c in (*range(0x20), *range(0x7F, 0xA0))) - {"\t", "\n"}


def search_terms(q: str | None) -> str:
    """``q`` trimmed; :class:`QueryLength` unless it has the allowed length, :class:`QueryCharacters`
    if it holds control characters."""
    terms = (q or "").strip()
    if not MIN_LENGTH <= len(terms) <= MAX_LENGTH:
        raise QueryLength()
    if not _CONTROLS.isdisjoint(terms):
        raise QueryCharacters()
    return terms


def position_of(kind: SearchType, terms: str, cursor: str | None) -> Position:
    """Where the page starts: the first one, or the one ``cursor`` (made for ``kind`` and ``terms``)
    names."""
    return Position.first(kind) if cursor is None else search_cursors.decode(kind, terms, cursor)


class Search:
    """Accounts (in the gateway's database) and posts (through the posts service, which decides what
    the caller may read), for one request."""

    def __init__(
        self, database: Database, posts: PostsClient, accounts: Accounts, viewer: uuid.UUID | None = None
    ) -> None:
        self._database = database
        self._posts = posts
        self._accounts = accounts
        self._viewer = viewer  # whom blocks keep out (``block_viewer``)

    async def search(self, q: str | None, kind: SearchType, limit: int, cursor: str | None) -> SearchResults:
        """Up to ``limit`` accounts and up to ``limit`` posts matching ``q``, from where ``cursor`` left
        off; both lists are searched at once."""
        terms = search_terms(q)
        position = position_of(kind, terms, cursor)
        (users, next_user), page = await asyncio.gather(
            self._users(terms, limit, position.users), self._posts_page(terms, limit, position.posts)
        )
        return SearchResults(
            users=[
                FoundUser(id=u.id, username=u.username, display_name=u.display_name, is_private=u.is_private)
                for u in users
            ],
            posts=await post_views(self._accounts, page.items),
            next_cursor=search_cursors.encode(kind, terms, Position(users=next_user, posts=page.next_cursor)),
        )

    async def _users(
        self, terms: str, limit: int, after: UserKey | None
    ) -> tuple[list[UserMatch], UserKey | None]:
        if after is None:
            return [], None
        return await search_users(self._database, terms, limit, after, viewer=self._viewer)

    async def _posts_page(self, terms: str, limit: int, token: str | None) -> Page[PostRecord]:
        # An empty token asks the posts service for its first page.
        if token is None:
            return Page([], None)
        return await self._posts.search_posts(terms, limit, token or None)
