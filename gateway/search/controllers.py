"""REST endpoint for search: accounts and posts."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter

from gateway.auth.service import Principal, block_viewer
from gateway.clients.posts import PostsClient
from gateway.http.parameters import CURSOR_SHAPE
from gateway.search import service
from gateway.search.schemas import SearchResults, SearchType
from gateway.search.service import Search
from gateway.users.service import Accounts
from servicekit.database import Database

# Required, as the document says; but a missing `q` is let through to `search_terms`, so that it gets
# the same error as a short one (Litestar's own names no field).
Query = Annotated[
    str | None,
    QueryParameter(
        required=True,
        description=f"What to look for: {service.MIN_LENGTH}–{service.MAX_LENGTH} characters once outer "
        "white space is trimmed, no control characters.",
        schema_extra={
            "min_length": service.MIN_LENGTH,
            "max_length": service.MAX_LENGTH,
            "pattern": r"^[^\x00-\x1f\x7f-\x9f]*\S[^\x00-\x1f\x7f-\x9f]*$",
        },
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
    QueryParameter(
        description="`next_cursor` of the previous page, with the same `q` and `type`.",
        schema_extra=CURSOR_SHAPE,
    ),
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


def provide_search(
    database: NamedDependency[Database],
    posts_client: NamedDependency[PostsClient],
    accounts: NamedDependency[Accounts],
    viewer: NamedDependency[Principal | None],
) -> Search:
    return Search(database, posts_client, accounts, block_viewer(viewer))


class SearchController(Controller):
    path = "/search"
    tags = ["search"]
    dependencies = {"search": Provide(provide_search, sync_to_thread=False)}

    @get("/", summary="Search accounts and posts", description=DESCRIPTION)
    async def search(
        self,
        search: NamedDependency[Search],
        q: Query = None,
        kind: Kind = "all",
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> SearchResults:
        return await search.search(q, kind, limit, cursor)
