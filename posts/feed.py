"""The home feed: the caller's own posts and those of the accounts they follow, newest first.

Fan-out on read: nothing is written per follower when a post is published; the feed is one query over
the authors in the caller's following list (at most 5000, as the gateway sends it). For each author it
takes only the newest posts below the page's cursor that the caller may see, from the index on
``(author_id, id) INCLUDE (visibility)`` (index-only once vacuumed: no table row read to decide), merges
those short lists newest first, and reads the full rows of the one page that comes out. The work is
about (authors x page size) index entries, whatever the authors have written in total.
"""

from __future__ import annotations

from posts.database import Database
from posts.domain import Caller, Page, Post
from posts.pagination import FEED, page_size
from posts.queries import POST_COLUMNS, as_seen_by, following_ids, not_hidden, visibility
from posts.relations import not_blocked

# $1 the caller, $2 the accounts they follow, $3 the cursor (the last id served), $4 page size + 1.
# Every author here is the caller or someone in their following list, for whom ``visible_to`` comes
# down to "anything but a private post, unless it is the caller's own": said directly, so that the
# per-author scans need not look each author up in the following list again.
_FEED_TEMPLATE = """
WITH page AS (
    SELECT newest.id
    FROM (
        SELECT author_id FROM (SELECT $1::uuid UNION SELECT unnest($2::uuid[])) AS listed (author_id)
        {hidden}
    ) AS authors
    CROSS JOIN LATERAL (
        SELECT posts.id FROM posts
        WHERE posts.author_id = authors.author_id
          AND posts.id < $3
          AND (posts.visibility <> 'private' OR posts.author_id = $1)
        ORDER BY posts.id DESC
        LIMIT $4
    ) AS newest
    ORDER BY newest.id DESC
    LIMIT $4
)
SELECT {columns} FROM posts JOIN page USING (id)
ORDER BY id DESC
"""
# Members' feeds leave out hidden authors (the caller never: their own posts stay theirs), once per
# author rather than per post; staff's keep them. Everyone's leave out the authors a block stands
# between them and, and those they mute: one probe per author of the set of those, which is read
# once for the statement.
_RELATED = not_blocked("listed.author_id", "$1", nor_muted=True)
_FEED = _FEED_TEMPLATE.format(
    hidden=f"WHERE {not_hidden('listed.author_id', shown_to='$1')} AND {_RELATED}", columns=POST_COLUMNS
)
_STAFF_FEED = _FEED_TEMPLATE.format(hidden=f"WHERE {_RELATED}", columns=POST_COLUMNS)


class Feed:
    """Home feeds, assembled at read time from the caller's following list."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def page(self, caller: Caller, *, size: int, token: str) -> Page[Post]:
        """A page of the caller's feed: their posts (all of them) and those of the accounts they follow
        that they may see (public and followers-only), newest first, but for the accounts a block
        stands between them and, and those they mute. Posts published after the first page was read
        sort ahead of the cursor, so later pages neither repeat nor skip one."""
        user_id = caller.signed_in()
        size, after = page_size(size), FEED.decode(token)
        async with self._db.transaction() as connection:
            # Each author's newest posts must come from an ordered scan of the index that stops after
            # a page. Where that index cannot be read alone yet (pages not vacuumed since their posts
            # were written) and authors look small to the planner, it may instead read every post of
            # every author (bitmap scans) and sort them: 10 times slower for 1000 authors of 100
            # posts. Bitmap scans are off for this transaction only.
            await connection.execute("SET LOCAL enable_bitmapscan = off")
            statement = _STAFF_FEED if visibility(caller) else _FEED
            rows = await connection.fetch(statement, user_id, following_ids(caller), after, size + 1)
            rows, next_token = FEED.cut(rows, size, key=lambda row: row["id"])
            return Page(await as_seen_by(connection, caller, rows), next_token)
