"""The statistics in SQL, over the tables :mod:`stats.ingest` writes. Each function runs on a ClickHouse
thread with one :class:`~stats.clickhouse.Connection`, and returns plain values.

Counter tables are AggregatingMergeTrees that merge in the background, so a key may still have
several rows: queries sum them (``GROUP BY``) or read the table ``FINAL``. A post counts as deleted
once any row says so. Ties are broken by the id's text, which is how clients see ids.
"""

from __future__ import annotations

import dataclasses
import datetime
import uuid
from collections.abc import Sequence
from typing import Any

from stats.clickhouse import Connection
from stats.domain import (
    AuthorSubject,
    DailyActivity,
    Metric,
    Period,
    PostStats,
    RankedAuthor,
    RankedPost,
    Subject,
)

_DELETED = "SELECT post_id FROM post_totals WHERE deleted = 1"
_AUTHOR_POSTS = (
    "post_id IN (SELECT post_id FROM post_totals WHERE author_id = {subject:UUID}"  # noqa: S608 - constants
    f" AND post_id NOT IN ({_DELETED}))"
)


def post_stats(connection: Connection, post_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, PostStats]:
    """All-time counts of the posts that have any, by id."""
    ids = {"ids": list(set(post_ids))}
    counts = connection.rows(
        "SELECT post_id, sum(likes), sum(views), sum(comments) FROM post_totals"
        " WHERE post_id IN {ids:Array(UUID)} GROUP BY post_id",
        ids,
    )
    viewers = {
        row[0]: int(row[1])
        for row in connection.rows(
            "SELECT post_id, uniqExact(viewer_key) FROM viewers WHERE post_id IN {ids:Array(UUID)}"
            " GROUP BY post_id",
            ids,
        )
    }
    found = {
        post_id: PostStats(post_id, likes, views, viewers.get(post_id, 0), comments)
        for post_id, likes, views, comments in counts
    }
    for post_id, unique in viewers.items():
        found.setdefault(post_id, PostStats(post_id, unique_viewers=unique))
    return found


@dataclasses.dataclass(frozen=True)
class Window:
    """A ranking's period as the counter tables hold it: it starts at the top of the hour ``period``
    hours before the one under way; its first day, if partial, comes from ``post_hours`` (``since`` to
    ``until``), the whole days after it from ``post_days`` (``first_day`` on): a few rows per post."""

    since: datetime.datetime
    until: datetime.datetime
    first_day: datetime.date

    @classmethod
    def of(cls, period: Period, now: datetime.datetime) -> Window:
        since = now.astimezone(datetime.UTC).replace(minute=0, second=0, microsecond=0)
        since -= datetime.timedelta(hours=period.value)
        first_day = since.date() if since.hour == 0 else since.date() + datetime.timedelta(days=1)
        until = datetime.datetime.combine(first_day, datetime.time(), tzinfo=datetime.UTC)
        return cls(since, until, first_day)

    def rows(self, columns: str) -> str:
        """SQL for the counter rows of the window: ``columns`` of each."""
        return (
            f"SELECT {columns} FROM post_days WHERE day >= {{first_day:Date}}"  # noqa: S608 - ours
            f" UNION ALL SELECT {columns} FROM post_hours"
            " WHERE hour >= {since:DateTime('UTC')} AND hour < {until:DateTime('UTC')}"
        )

    def parameters(self) -> dict[str, Any]:
        return {"since": self.since, "until": self.until, "first_day": self.first_day}


def top_posts(
    connection: Connection, metric: Metric, period: Period, limit: int, now: datetime.datetime
) -> list[RankedPost]:
    """The posts with the highest ``metric`` over ``period``, deleted ones and zeros left out."""
    parameters: dict[str, Any] = {"limit": limit}
    if period is Period.ALL:
        sql = (
            f"SELECT post_id, author_id, {metric.value} AS value FROM post_totals FINAL"  # noqa: S608
            " WHERE deleted = 0 AND value > 0"
            " ORDER BY value DESC, toString(post_id) LIMIT {limit:UInt32}"
        )
    else:
        window = Window.of(period, now)
        parameters.update(window.parameters())
        sql = (
            "SELECT post_id, any(author_id), sum(value) AS total"  # noqa: S608 - constants
            f" FROM ({window.rows(f'post_id, author_id, {metric.value} AS value')})"
            f" GROUP BY post_id HAVING total > 0 AND post_id NOT IN ({_DELETED})"
            " ORDER BY total DESC, toString(post_id) LIMIT {limit:UInt32}"
        )
    found = connection.rows(sql, parameters)
    return [RankedPost(post_id, author_id, value) for post_id, author_id, value in found]


def top_authors(
    connection: Connection, metric: Metric, period: Period, limit: int, now: datetime.datetime
) -> list[RankedAuthor]:
    """The authors whose (not deleted) posts have the highest ``metric`` over ``period``."""
    parameters: dict[str, Any] = {"limit": limit}
    if period is Period.ALL:
        rows = f"SELECT author_id, {metric.value} AS value FROM post_totals FINAL WHERE deleted = 0"  # noqa: S608
    else:
        window = Window.of(period, now)
        parameters.update(window.parameters())
        rows = (
            f"SELECT author_id, value FROM ({window.rows(f'post_id, author_id, {metric.value} AS value')})"  # noqa: S608
            f" WHERE post_id NOT IN ({_DELETED})"
        )
    found = connection.rows(
        f"SELECT author_id, sum(value) AS total FROM ({rows}) GROUP BY author_id HAVING total > 0"  # noqa: S608
        " ORDER BY total DESC, toString(author_id) LIMIT {limit:UInt32}",
        parameters,
    )
    return [RankedAuthor(author_id, value) for author_id, value in found]


def activity(
    connection: Connection, subject: Subject, first: datetime.date, last: datetime.date
) -> list[DailyActivity]:
    """Counts per day from ``first`` to ``last``, both included, zeros too."""
    if isinstance(subject, AuthorSubject):
        posts, subject_id = _AUTHOR_POSTS, subject.author_id
    else:
        posts, subject_id = "post_id = {subject:UUID}", subject.post_id
    parameters = {"subject": subject_id, "first": first, "last": last}
    days = "day BETWEEN {first:Date} AND {last:Date}"
    counts = connection.rows(
        f"SELECT day, sum(likes), sum(views), sum(comments) FROM post_days WHERE {posts} AND {days}"  # noqa: S608
        " GROUP BY day",
        parameters,
    )
    viewers = {
        row[0]: int(row[1])
        for row in connection.rows(
            f"SELECT day, uniqExact(viewer_key) FROM viewers WHERE {posts} AND {days} GROUP BY day",  # noqa: S608
            parameters,
        )
    }
    by_day = {day: (likes, views, comments) for day, likes, views, comments in counts}
    result = []
    for offset in range((last - first).days + 1):
        day = first + datetime.timedelta(days=offset)
        likes, views, comments = by_day.get(day, (0, 0, 0))
        result.append(DailyActivity(day, likes, views, viewers.get(day, 0), comments))
    return result
