"""Statistics as the gateway serves them. The stats service counts everything and knows nothing of
who may see what; this module asks the posts service first, so a caller only learns counts of posts
they may read, and it sets the defaults and limits of the date range."""

from __future__ import annotations

import datetime
import uuid

from gateway.clients.posts import PostsClient
from gateway.clients.stats import StatsClient
from gateway.http.schemas import Author
from gateway.posts.presenters import post_views
from gateway.stats.schemas import (
    Day,
    Metric,
    MyStats,
    Period,
    PostStats,
    RankedAuthor,
    RankedPost,
    TopAuthors,
    TopPosts,
    Totals,
)
from gateway.users.service import Accounts
from servicekit.errors import Invalid

MAX_DAYS = 366
DEFAULT_DAYS = 30


class BadDateRange(Invalid):
    """``from`` after ``to``, or a range longer than :data:`MAX_DAYS`."""

    detail = f"`from` must not be after `to`, and the range may span at most {MAX_DAYS} days."
    field = "from"


def date_range(
    first: datetime.date | None, last: datetime.date | None
) -> tuple[datetime.date, datetime.date]:
    """The days asked for: by default the :data:`DEFAULT_DAYS` up to today (UTC), or up to ``last``."""
    last = last or datetime.datetime.now(tz=datetime.UTC).date()
    if first is None:
        if last.toordinal() < DEFAULT_DAYS:  # the range would start before the year 1
            raise BadDateRange(field="to")
        first = last - datetime.timedelta(days=DEFAULT_DAYS - 1)
    if first > last or (last - first).days >= MAX_DAYS:
        raise BadDateRange()
    return first, last


class Statistics:
    """The statistics API's rules, for one request."""

    def __init__(self, stats: StatsClient, posts: PostsClient, accounts: Accounts) -> None:
        self._stats = stats
        self._posts = posts
        self._accounts = accounts

    async def of_post(self, post_id: uuid.UUID) -> PostStats:
        """A post's counts; not found unless the caller may see the post."""
        await self._posts.get_post(post_id)
        counts = (await self._stats.post_stats([post_id])).get(post_id)
        if counts is None:
            return PostStats(post_id=post_id, likes=0, views=0, unique_viewers=0, comments=0)
        return PostStats(
            post_id=post_id,
            likes=counts.likes,
            views=counts.views,
            unique_viewers=counts.unique_viewers,
            comments=counts.comments,
        )

    async def top_posts(self, metric: Metric, period: Period, limit: int) -> TopPosts:
        """The top posts that the caller may see."""
        # Ask for more than needed: posts the caller may not see are left out afterwards.
        ranked = await self._stats.top_posts(metric, period, min(100, limit * 2))
        visible = {post.id: post for post in await self._posts.get_posts([r.post_id for r in ranked])}
        kept = [r for r in ranked if r.post_id in visible][:limit]
        views = await post_views(self._accounts, [visible[r.post_id] for r in kept])
        items = [RankedPost(post=view, value=r.value) for view, r in zip(views, kept, strict=True)]
        return TopPosts(metric=metric, period=period, items=items)

    async def top_authors(self, metric: Metric, period: Period, limit: int) -> TopAuthors:
        ranked = await self._stats.top_authors(metric, period, limit)
        summaries = await self._accounts.summaries(r.author_id for r in ranked)
        items = [
            RankedAuthor(
                author=Author(id=s.id, username=s.username, display_name=s.display_name), value=r.value
            )
            for r in ranked
            if (s := summaries.get(r.author_id)) is not None
        ]
        return TopAuthors(metric=metric, period=period, items=items)

    async def activity(
        self, author_id: uuid.UUID, first: datetime.date | None, last: datetime.date | None
    ) -> MyStats:
        """An author's activity per day over the range asked for, and its totals."""
        first, last = date_range(first, last)
        days = await self._stats.author_activity(author_id, first, last)
        series = [
            Day(
                date=d.date,
                likes=d.likes,
                views=d.views,
                unique_viewers=d.unique_viewers,
                comments=d.comments,
            )
            for d in days
        ]
        totals = Totals(
            likes=sum(d.likes for d in days),
            views=sum(d.views for d in days),
            comments=sum(d.comments for d in days),
        )
        return MyStats(from_date=first, to_date=last, totals=totals, days=series)
