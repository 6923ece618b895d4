"""Full-text search over the text of the posts a caller may see: best match first, then newest.

PostgreSQL does the work: ``posts.search_vector`` is ``to_tsvector('english', text)``, a generated
column kept by the database itself, with a GIN index (the "feed and search" migration). A query goes
through ``websearch_to_tsquery`` in the same 'english' configuration: the syntax of search boxes
(``"a phrase"``, ``-excluded``, ``or``), no error on odd input, and words reduced to their stems as
in the posts, so "cats" finds "cat". A query of stop words only ("the") has no lexeme left: it
matches nothing, and the index answers that at once.

Results are ranked by ``ts_rank_cd`` (cover density: more occurrences, and query words close
together, rank higher) normalised by the log of the post's length (so a short post that says it
ranks above a long one that mentions it). Pages are keyset pages on (rank, id): the rank is the
float4 the function returns, compared as float4 and carried in the token as the double that holds
it exactly, so a page starts exactly where the last one stopped.
"""

from __future__ import annotations

from posts.database import Database
from posts.domain import Caller, Page, Post, clean_query
from posts.pagination import SEARCH, SearchKey, page_size
from posts.queries import POST_COLUMNS, as_seen_by, following_ids, staff_sees, visibility, visible_to
from posts.relations import not_blocked

MAX_QUERY = 200
# ts_rank_cd's normalisation 1: the rank divided by 1 + log(the number of words in the post).
_NORMALISATION = 1

# $1 the query, $2 the caller, $3 the accounts they follow, $4 and $5 the cursor (rank, id), $6 page
# size + 1. Every matching post the caller may see is ranked, and the best of those after the cursor
# make the page; only the page's rows are then read in full. OFFSET 0 keeps the ranking subquery from
# being merged into the one around it, where the rank would be computed twice per post (once to
# compare with the cursor, once to sort): computed once, it is compared and sorted as one float4.
_SEARCH_TEMPLATE = """
WITH page AS (
    SELECT id, rank FROM (
        SELECT posts.id, ts_rank_cd(posts.search_vector, query, {normalisation}) AS rank
        FROM posts, websearch_to_tsquery('english', $1) AS query
        WHERE posts.search_vector @@ query AND {visible}
        OFFSET 0
    ) AS ranked
    WHERE (rank, id) < ($4::real, $5::uuid)
    ORDER BY rank DESC, id DESC
    LIMIT $6
)
SELECT {columns}, page.rank FROM page JOIN posts USING (id)
ORDER BY page.rank DESC, page.id DESC
"""
# Everyone's search, staff's too, leaves out the authors a block stands between the caller and, and
# those the caller mutes: the set of those is read once per statement and hashed, one probe per post.
_RELATED = not_blocked("posts.author_id", "$2", nor_muted=True)
_SEARCH = _SEARCH_TEMPLATE.format(
    visible=f"{visible_to('$2', '$3')} AND {_RELATED}", normalisation=_NORMALISATION, columns=POST_COLUMNS
)
_SEARCH_STAFF = _SEARCH_TEMPLATE.format(
    visible=f"{staff_sees('$2', '$3')} AND {_RELATED}", normalisation=_NORMALISATION, columns=POST_COLUMNS
)


class Search:
    """Searches over the posts each caller may see."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def posts(self, caller: Caller, query: str, *, size: int, token: str) -> Page[Post]:
        """The posts matching ``query`` (1 to 200 characters after trimming) that the caller may see:
        public ones, their own, and followers-only ones of the accounts they follow; none by an account
        a block stands between them and, or that they mute."""
        query = clean_query(query, limit=MAX_QUERY)
        size, after = page_size(size), SEARCH.decode(token)
        async with self._db.connection() as connection:
            rows = await connection.fetch(
                _SEARCH_STAFF if visibility(caller) else _SEARCH,
                query,
                caller.user_id,
                following_ids(caller),
                after.rank,
                after.post_id,
                size + 1,
            )
            rows, next_token = SEARCH.cut(rows, size, key=lambda row: SearchKey(row["rank"], row["id"]))
            return Page(await as_seen_by(connection, caller, rows), next_token)
