"""REST endpoints for statistics: per post, rankings, and my own activity."""

from __future__ import annotations

import datetime
import uuid
from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter

from gateway.auth.service import Principal
from gateway.clients.posts import PostsClient
from gateway.clients.stats import StatsClient
from gateway.http.guards import SECURITY
from gateway.stats.schemas import Metric, MyStats, Period, PostStats, TopAuthors, TopPosts
from gateway.stats.service import Statistics
from gateway.users.service import Accounts

TopLimit = Annotated[int, QueryParameter(ge=1, le=100, description="How many, 1–100.")]
FromDate = Annotated[
    datetime.date | None, QueryParameter(name="from", description="First day (UTC); default 29 days ago.")
]
ToDate = Annotated[
    datetime.date | None, QueryParameter(name="to", description="Last day (UTC); default today.")
]


def provide_statistics(
    stats_client: NamedDependency[StatsClient],
    posts_client: NamedDependency[PostsClient],
    accounts: NamedDependency[Accounts],
) -> Statistics:
    return Statistics(stats_client, posts_client, accounts)


DEPENDENCIES = {"statistics": Provide(provide_statistics, sync_to_thread=False)}


class PostStatsController(Controller):
    path = "/posts"
    tags = ["stats"]
    dependencies = DEPENDENCIES

    @get("/{post_id:uuid}/stats", summary="A post's likes, views, unique viewers and comments")
    async def post_stats(
        self, post_id: FromPath[uuid.UUID], statistics: NamedDependency[Statistics]
    ) -> PostStats:
        return await statistics.of_post(post_id)


class RankingsController(Controller):
    path = "/stats"
    tags = ["stats"]
    dependencies = DEPENDENCIES

    @get("/top-posts", summary="The posts with the most likes, views or comments")
    async def top_posts(
        self,
        statistics: NamedDependency[Statistics],
        metric: Metric = "likes",
        period: Period = "week",
        limit: TopLimit = 10,
    ) -> TopPosts:
        return await statistics.top_posts(metric, period, limit)

    @get("/top-authors", summary="The authors whose posts got the most likes, views or comments")
    async def top_authors(
        self,
        statistics: NamedDependency[Statistics],
        metric: Metric = "likes",
        period: Period = "week",
        limit: TopLimit = 10,
    ) -> TopAuthors:
        return await statistics.top_authors(metric, period, limit)


class MyStatsController(Controller):
    path = "/users/me"
    tags = ["stats"]
    dependencies = DEPENDENCIES

    @get("/stats", security=SECURITY, summary="My posts' activity per day, and its totals")
    async def my_stats(
        self,
        principal: NamedDependency[Principal],
        statistics: NamedDependency[Statistics],
        from_date: FromDate = None,
        to_date: ToDate = None,
    ) -> MyStats:
        return await statistics.activity(principal.account.id, from_date, to_date)
