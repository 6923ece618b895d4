"""REST endpoint for search: accounts and posts."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from gateway.clients import PostsClient
from gateway.errors import INVALID_CURSOR, VALIDATION_FAILED, FieldError, Problem
from gateway.posts.controllers import DEPENDENCIES
from gateway.posts.views import post_views
from gateway.search import cursor as cursors
from gateway.search import service
from gateway.search.schemas import FoundUser, SearchResults, SearchType
from gateway.users.service import Accounts

# Required, as the document says; but a missing `q` is let through to `search_terms`, so that it gets
# the same error as a short one (Litestar's own names no field).
Query = Annotated[
    str | None,
    QueryParameter(
        required=True,
        description=f"What to look for: {service.MIN_LENGTH}–{service.MAX_LENGTH} characters once outer "
        "white space is trimmed.",
    ),
]
Kind = Annotated[
    SearchType,
    QueryParameter(
        name="type", description="`users`, `posts`, or `all` (both lists, each paged on its own)."
    ),
]
Limit = Annotated[int, QueryParameter(ge=1, le=100, description="Items per list and page, 1–100.")]
Cursor = Annotated[
    str | None,
    QueryParameter(description="`next_cursor` of the previous page, with the same `q` and `type`."),
]

DESCRIPTION = """\
Accounts by username and display name, best match first: the username itself, then usernames that
start with `q`, then names with a word that starts with `q`, then names within a few typos of it
(trigram similarity), ties by username. Private accounts are found too (profiles are public).

Posts by their words (full-text: `"a phrase"`, `-excluded`, `or`), best match first then newest,
among the posts the caller may read: anonymous callers find public posts only.

`type=users` or `type=posts` leaves the other list empty. With `type=all` each page holds up to
`limit` accounts and up to `limit` posts; `next_cursor` continues both lists where they stopped, and
once one list is done it comes back empty while the other goes on. `next_cursor` is null when every
list asked for is done. A cursor only works with the `type` it was made for (else 400
`invalid_cursor`); send the same `q` with it.
"""


def search_terms(q: str | None) -> str:
    """``q`` trimmed; 422 unless it has the allowed length."""
    terms = (q or "").strip()
    if not service.MIN_LENGTH <= len(terms) <= service.MAX_LENGTH:
        detail = (
            f"`q` must be {service.MIN_LENGTH}–{service.MAX_LENGTH} characters once outer white space is "
            "trimmed."
        )
        raise Problem(VALIDATION_FAILED, detail, errors=[FieldError(field="q", message=detail)])
    return terms


def position_of(kind: SearchType, cursor: str | None) -> cursors.Position:
    """Where the page starts: the first one, or the one ``cursor`` (made for ``kind``) names."""
    if cursor is None:
        return cursors.Position.first(kind)
    try:
        return cursors.decode(kind, cursor)
    except cursors.MalformedCursor:
        detail = "Use a cursor from a previous page of a search of the same type, unchanged."
        raise Problem(INVALID_CURSOR, detail) from None


class SearchController(Controller):
    path = "/search"
    tags = ["search"]
    dependencies = DEPENDENCIES

    @get("/", summary="Search accounts and posts", description=DESCRIPTION)
    async def search(
        self,
        posts: NamedDependency[PostsClient],
        accounts: NamedDependency[Accounts],
        q: Query = None,
        kind: Kind = "all",
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> SearchResults:
        terms = search_terms(q)
        found = await service.search(terms, limit, position_of(kind, cursor), posts)
        return SearchResults(
            users=[
                FoundUser(id=u.id, username=u.username, display_name=u.display_name, is_private=u.is_private)
                for u in found.users
            ],
            posts=await post_views(accounts, found.posts),
            next_cursor=cursors.encode(kind, found.next),
        )
