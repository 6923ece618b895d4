"""The statistics in SQL, over the tables :mod:`stats.ingest` writes. Each function runs on a ClickHouse
thread with one :class:`~stats.clickhouse.Connection`, and returns plain values.

Counter tables are AggregatingMergeTrees that merge in the background, so a key may still have
several rows: queries sum them (``GROUP BY``) or read the table ``FINAL``. A post counts as deleted
once any row says so. Ties are broken by the id's text, which is how clients see ids.

Rankings leave out the authors whose content is hidden at the time asked (``now``): the latest state
of their account (``account_states FINAL``: the highest version) is hidden, with no end or one still
ahead. Nothing is removed, so an author back in view is ranked with every count. The hidden accounts
are few: the subquery is one small set, which ``NOT IN`` looks each row up in.
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
_HIDDEN = (
    "SELECT account_id FROM account_states FINAL"
    " WHERE hidden AND (hidden_until IS NULL OR hidden_until > {now:DateTime64(3, 'UTC')})"
)
_AUTHOR_POSTS = (
    "post_id IN (SELECT post_id FROM post_totals WHERE author_id = {subject:UUID}"  # noqa: S608 - constants
    f" AND post_id NOT IN ({_DELETED}))"
)


def _counts_and_viewers(
    connection: Connection, key: str, where: str, parameters: dict[str, Any]
) -> tuple[dict[Any, tuple[int, int, int]], dict[Any, int]]:
    """(likes, views, comments) and distinct viewers by ``key`` (``post_id`` or ``day``) of the
    counter rows and views matching ``where``; one statement, one round trip."""
    table = "post_totals" if key == "post_id" else "post_days"
    found = connection.rows(
        f"SELECT 1, {key}, sum(likes), sum(views), sum(comments) FROM {table}"  # noqa: S608 - constants
        f" WHERE {where} GROUP BY {key}"
        f" UNION ALL SELECT 2, {key}, uniqExact(viewer_key), 0, 0 FROM viewers WHERE {where} GROUP BY {key}",
        parameters,
    )
    counts = {row[1]: (int(row[2]), int(row[3]), int(row[4])) for row in found if row[0] == 1}
    viewers = {row[1]: int(row[2]) for row in found if row[0] == 2}
    return counts, viewers


def post_stats(connection: Connection, post_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, PostStats]:
    """All-time counts of the posts that have any, by id."""
    counts, viewers = _counts_and_viewers(
        connection, "post_id", "post_id IN {ids:Array(UUID)}", {"ids": list(set(post_ids))}
    )
    found = {}
    for post_id in counts.keys() | viewers.keys():
        likes, views, comments = counts.get(post_id, (0, 0, 0))
        found[post_id] = PostStats(post_id, likes, views, viewers.get(post_id, 0), comments)
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

    def rows(self, metric: Metric) -> str:
        """SQL for the window's counter rows where ``metric`` moved: post_id, author_id, value."""
        columns, moved = f"post_id, author_id, {metric.value} AS value", f"{metric.value} != 0"
        return (
            f"SELECT {columns} FROM post_days WHERE day >= {{first_day:Date}} AND {moved}"  # noqa: S608
            f" UNION ALL SELECT {columns} FROM post_hours"
            f" WHERE hour >= {{since:DateTime('UTC')}} AND hour < {{until:DateTime('UTC')}} AND {moved}"
        )

    def parameters(self) -> dict[str, Any]:
        return {"since": self.since, "until": self.until, "first_day": self.first_day}


def top_posts(
    connection: Connection, metric: Metric, period: Period, limit: int, now: datetime.datetime
) -> list[RankedPost]:
    """The posts with the highest ``metric`` over ``period``, deleted ones, hidden authors' and zeros
    left out."""
    parameters: dict[str, Any] = {"limit": limit, "now": now}
    if period is Period.ALL:
        sql = (
            f"SELECT post_id, author_id, {metric.value} AS value FROM post_totals FINAL"  # noqa: S608
            f" WHERE deleted = 0 AND value > 0 AND author_id NOT IN ({_HIDDEN})"
            " ORDER BY value DESC, toString(post_id) LIMIT {limit:UInt32}"
        )
    else:
        window = Window.of(period, now)
        parameters.update(window.parameters())
        sql = (
            "SELECT post_id, any(author_id), sum(value) AS total"  # noqa: S608 - constants
            f" FROM ({window.rows(metric)}) WHERE author_id NOT IN ({_HIDDEN})"
            f" GROUP BY post_id HAVING total > 0 AND post_id NOT IN ({_DELETED})"
            " ORDER BY total DESC, toString(post_id) LIMIT {limit:UInt32}"
        )
    found = connection.rows(sql, parameters)
    return [RankedPost(post_id, author_id, value) for post_id, author_id, value in found]


def top_authors(
    connection: Connection, metric: Metric, period: Period, limit: int, now: datetime.datetime
) -> list[RankedAuthor]:
    """The authors whose (not deleted) posts have the highest ``metric`` over ``period``, hidden ones
    left out."""
    parameters: dict[str, Any] = {"limit": limit, "now": now}
    if period is Period.ALL:
        rows = f"SELECT author_id, {metric.value} AS value FROM post_totals FINAL WHERE deleted = 0"  # noqa: S608
    else:
        window = Window.of(period, now)
        parameters.update(window.parameters())
        rows = (
            f"SELECT author_id, value FROM ({window.rows(metric)})"  # noqa: S608 - constants
            f" WHERE post_id NOT IN ({_DELETED})"
        )
    found = connection.rows(
        f"SELECT author_id, sum(value) AS total FROM ({rows}) WHERE author_id NOT IN ({_HIDDEN})"  # noqa: S608
        " GROUP BY author_id HAVING total > 0 ORDER BY total DESC, toString(author_id) LIMIT {limit:UInt32}",
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
    counts, viewers = _counts_and_viewers(
        connection,
        "day",
        f"{posts} AND day BETWEEN {{first:Date}} AND {{last:Date}}",
        {"subject": subject_id, "first": first, "last": last},
    )
    result = []
    for offset in range((last - first).days + 1):
        day = first + datetime.timedelta(days=offset)
        likes, views, comments = counts.get(day, (0, 0, 0))
        result.append(DailyActivity(day, likes, views, viewers.get(day, 0), comments))
    return result
