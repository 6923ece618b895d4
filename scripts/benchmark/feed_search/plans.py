"""The plans of the feed's and the search's queries, as PostgreSQL runs them (EXPLAIN ANALYZE)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg

from posts.feed import _FEED
from posts.pagination import MAX_ID, SEARCH, SearchKey
from posts.search import _SEARCH
from scripts.benchmark.feed_search.cases import Cursors


async def explain(db_url: str, title: str, query: str, *params: Any, setting: str = "") -> str:
    """``query``'s plan with ``params``, under ``setting`` if given, as a Markdown section."""
    connection = await asyncpg.connect(db_url)
    try:
        if setting:
            await connection.execute(f"SET {setting}")
        plan = await connection.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {query}", *params)
    finally:
        await connection.close()
    # Lines stop at 200 characters: a custom plan spells out the whole following list.
    lines = "\n".join(row[0] if len(row[0]) <= 200 else f"{row[0][:200]}…" for row in plan)
    return f"\n### {title}\n```\n{lines}\n```"


def plans(db_url: str, cursors: Cursors) -> list[str]:
    """The plans of the feed (first page, half-way back) and the search (first page, 11th page)."""
    user_id, following = uuid.UUID(cursors.reader_id), cursors.followed
    # As posts.feed runs it.
    no_bitmaps = "enable_bitmapscan = off"
    first, deep = SEARCH.first, SEARCH.decode(cursors.search_page)
    calls: list[tuple[str, str, tuple[Any, ...], str]] = [
        ("ListFeed, first page", _FEED, (user_id, following, MAX_ID, 21), no_bitmaps),
        ("ListFeed, half-way back", _FEED, (user_id, following, cursors.middle, 21), no_bitmaps),
        ("SearchPosts 'coffee'", _SEARCH, _search_params(user_id, following, first), ""),
        ("SearchPosts 'coffee', 11th page", _SEARCH, _search_params(user_id, following, deep), ""),
    ]
    return [
        asyncio.run(explain(db_url, title, query, *params, setting=setting))
        for title, query, params, setting in calls
    ]


def _search_params(user_id: uuid.UUID, following: list[uuid.UUID], key: SearchKey) -> tuple[Any, ...]:
    return ("coffee", user_id, following, key.rank, key.post_id, 21)
