"""The rules of the stats API on plain values: what a valid question is, and asking ClickHouse.

Every method takes the caller's deadline (a :func:`time.monotonic` instant, or None) and passes it
to ClickHouse, which gives up on a statement when the caller has.
"""

from __future__ import annotations

import datetime
import functools
import time
import uuid
from collections.abc import Callable, Sequence
from typing import TypeVar

from idl.flock import wire
from stats import queries
from stats.clickhouse import ClickHouse
from stats.domain import (
    DailyActivity,
    InvalidArgument,
    Metric,
    Period,
    PostStats,
    RankedAuthor,
    RankedPost,
    Subject,
)
from stats.shared import Shared

T = TypeVar("T")

MAX_POST_IDS = 100
MAX_LIMIT = 100
# Activity covers at most this many days after the first one.
MAX_DAYS = 366


def parse_id(value: str, field: str) -> uuid.UUID:
    """A UUID from its canonical text (:func:`idl.flock.wire.parse_id`), or InvalidArgument naming
    ``field``."""
    try:
        return wire.parse_id(value)
    except ValueError:
        raise InvalidArgument(field, f"{field} must be a UUID.") from None


def parse_date(value: str, field: str) -> datetime.date:
    """A day from ``YYYY-MM-DD``, or InvalidArgument naming ``field``."""
    try:
        if len(value) != len("YYYY-MM-DD"):
            raise ValueError(value)
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise InvalidArgument(field, f"{field} must be a day as YYYY-MM-DD.") from None


def _ranking(metric: Metric | None, period: Period | None, limit: int) -> tuple[Metric, Period]:
    if metric is None:
        raise InvalidArgument("metric", "metric must be likes, views or comments.")
    if period is None:
        raise InvalidArgument("period", "period must be day, week or all.")
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidArgument("limit", f"limit must be from 1 to {MAX_LIMIT}.")
    return metric, period


def _utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


# A ranking computed for many callers at once gets this long, whatever their own deadlines.
RANKING_SECONDS = 10.0


class Stats:
    """Statistics of posts and authors, read from ClickHouse.

    Rankings are shared: each (metric, period) is computed, top 100, at most once per
    ``ranking_ttl`` seconds, and every caller meanwhile gets it (cut to their limit)."""

    def __init__(
        self,
        clickhouse: ClickHouse,
        ranking_ttl: float = 0.0,
        clock: Callable[[], datetime.datetime] = _utc_now,
    ) -> None:
        self._clickhouse = clickhouse
        self._clock = clock
        self._posts: Shared[tuple[Metric, Period], list[RankedPost]] = Shared(ranking_ttl)
        self._authors: Shared[tuple[Metric, Period], list[RankedAuthor]] = Shared(ranking_ttl)

    async def post_stats(self, post_ids: Sequence[str], deadline: float | None) -> list[PostStats]:
        """All-time counts of up to 100 posts, in the order asked; zeros for a post without events."""
        if len(post_ids) > MAX_POST_IDS:
            raise InvalidArgument("post_ids", f"Ask for at most {MAX_POST_IDS} posts at a time.")
        ids = [parse_id(post_id, "post_ids") for post_id in post_ids]
        if not ids:
            return []
        found = await self._clickhouse.call(functools.partial(queries.post_stats, post_ids=ids), deadline)
        return [found.get(post_id, PostStats(post_id)) for post_id in ids]

    async def top_posts(
        self, metric: Metric | None, period: Period | None, limit: int, deadline: float | None
    ) -> list[RankedPost]:
        """The posts with the most ``metric`` over ``period``, most first; the posts of authors hidden
        now are left out (see :mod:`stats.queries`)."""
        metric, period = _ranking(metric, period, limit)
        work = functools.partial(queries.top_posts, metric=metric, period=period, limit=MAX_LIMIT)
        ranked = await self._posts.get((metric, period), functools.partial(self._rank, work), deadline)
        return ranked[:limit]

    async def top_authors(
        self, metric: Metric | None, period: Period | None, limit: int, deadline: float | None
    ) -> list[RankedAuthor]:
        """The authors whose posts have the most ``metric`` over ``period``, most first; authors hidden
        now are left out."""
        metric, period = _ranking(metric, period, limit)
        work = functools.partial(queries.top_authors, metric=metric, period=period, limit=MAX_LIMIT)
        ranked = await self._authors.get((metric, period), functools.partial(self._rank, work), deadline)
        return ranked[:limit]

    async def _rank(self, work: Callable[..., T], deadline: float | None) -> T:
        now = self._clock()
        limit = deadline if deadline is not None else time.monotonic() + RANKING_SECONDS
        return await self._clickhouse.call(functools.partial(work, now=now), limit)

    async def activity(
        self, subject: Subject | None, first: str, last: str, deadline: float | None
    ) -> list[DailyActivity]:
        """Counts per UTC day from ``first`` to ``last`` (``YYYY-MM-DD``, at most 366 days apart)."""
        if subject is None:
            raise InvalidArgument("subject", "Give a post_id or an author_id.")
        first_day, last_day = parse_date(first, "from_date"), parse_date(last, "to_date")
        if last_day < first_day:
            raise InvalidArgument("to_date", "to_date must not be before from_date.")
        if (last_day - first_day).days > MAX_DAYS:
            raise InvalidArgument("to_date", f"to_date must be at most {MAX_DAYS} days after from_date.")
        work = functools.partial(queries.activity, subject=subject, first=first_day, last=last_day)
        return await self._clickhouse.call(work, deadline)
