"""The data the feed and search benchmark (``scripts/benchmark/feed_search``) writes: no server."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from scripts.benchmark.feed_search import data as bench


def test_seeded_ids_are_uuid7s_of_their_times_in_order() -> None:
    now = datetime(2026, 11, 26, 12, tzinfo=UTC)
    authors = [uuid.uuid4() for _ in range(3)]
    rows = bench.rows(authors, 500, now)
    ids = [row[0] for row in rows]
    assert all(post_id.version == 7 for post_id in ids)
    assert ids == sorted(ids)
    assert rows[0][4] == now - timedelta(days=bench.DAYS)
    assert {row[1] for row in rows} <= set(authors)
    assert {row[3] for row in rows} == {"public", "followers", "private"}


def test_about_a_third_of_the_seeded_posts_mention_coffee() -> None:
    bodies = [bench.body() for _ in range(2000)]
    share = sum("coffee" in body.split() for body in bodies) / len(bodies)
    assert 0.25 < share < 0.35
    assert all(5 <= len(body.split()) <= 41 for body in bodies)
