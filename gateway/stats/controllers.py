"""REST endpoints for statistics: per post, rankings, and my own activity."""

from __future__ import annotations

import datetime
import uuid
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter

from gateway.auth.dependencies import SECURITY
from gateway.auth.service import Principal
from gateway.clients import PostsClient, PostStatsRecord, StatsClient
from gateway.errors import VALIDATION_FAILED, FieldError, Problem
from gateway.posts.controllers import DEPENDENCIES
from gateway.posts.schemas import Author
from gateway.posts.views import post_views
from gateway.request_id import request_id_of
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

TopLimit = Annotated[int, QueryParameter(ge=1, le=100, description="How many, 1–100.")]
MAX_DAYS = 366
DEFAULT_DAYS = 30


def provide_stats(state: State) -> StatsClient:
    client: StatsClient = state.stats
    return client


STATS_DEPENDENCIES = {**DEPENDENCIES, "stats": Provide(provide_stats, sync_to_thread=False)}


class PostStatsController(Controller):
    path = "/posts"
    tags = ["stats"]
    dependencies = STATS_DEPENDENCIES

    @get("/{post_id:uuid}/stats", summary="A post's likes, views, unique viewers and comments")
    async def post_stats(
        self,
        post_id: FromPath[uuid.UUID],
        request: Request[Any, Any, Any],
        posts: NamedDependency[PostsClient],
        stats: NamedDependency[StatsClient],
    ) -> PostStats:
        await posts.get_post(post_id)  # 404 unless the caller may see the post
        counts = (await stats.post_stats([post_id], request_id_of(request))).get(post_id) or PostStatsRecord(
            post_id, likes=0, views=0, unique_viewers=0, comments=0
        )
        return PostStats(
            post_id=post_id,
            likes=counts.likes,
            views=counts.views,
            unique_viewers=counts.unique_viewers,
            comments=counts.comments,
        )


class RankingsController(Controller):
    path = "/stats"
    tags = ["stats"]
    dependencies = STATS_DEPENDENCIES

    @get("/top-posts", summary="The posts with the most likes, views or comments")
    async def top_posts(
        self,
        request: Request[Any, Any, Any],
        posts: NamedDependency[PostsClient],
        stats: NamedDependency[StatsClient],
        accounts: NamedDependency[Accounts],
        metric: Metric = "likes",
        period: Period = "week",
        limit: TopLimit = 10,
    ) -> TopPosts:
        # Ask for more than needed: posts the caller may not see are left out afterwards.
        ranked = await stats.top_posts(metric, period, min(100, limit * 2), request_id_of(request))
        visible = {post.id: post for post in await posts.get_posts([r.post_id for r in ranked])}
        kept = [r for r in ranked if r.post_id in visible][:limit]
        views = await post_views(accounts, [visible[r.post_id] for r in kept])
        items = [RankedPost(post=view, value=r.value) for view, r in zip(views, kept, strict=True)]
        return TopPosts(metric=metric, period=period, items=items)

    @get("/top-authors", summary="The authors whose posts got the most likes, views or comments")
    async def top_authors(
        self,
        request: Request[Any, Any, Any],
        stats: NamedDependency[StatsClient],
        accounts: NamedDependency[Accounts],
        metric: Metric = "likes",
        period: Period = "week",
        limit: TopLimit = 10,
    ) -> TopAuthors:
        ranked = await stats.top_authors(metric, period, limit, request_id_of(request))
        summaries = await accounts.summaries(r.author_id for r in ranked)
        items = [
            RankedAuthor(
                author=Author(id=s.id, username=s.username, display_name=s.display_name), value=r.value
            )
            for r in ranked
            if (s := summaries.get(r.author_id)) is not None
        ]
        return TopAuthors(metric=metric, period=period, items=items)


class MyStatsController(Controller):
    path = "/users/me"
    tags = ["stats"]
    dependencies = STATS_DEPENDENCIES

    @get("/stats", security=SECURITY, summary="My posts' activity per day, and its totals")
    async def my_stats(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        stats: NamedDependency[StatsClient],
        from_date: Annotated[
            datetime.date | None,
            QueryParameter(name="from", description="First day (UTC); default 29 days ago."),
        ] = None,
        to_date: Annotated[
            datetime.date | None, QueryParameter(name="to", description="Last day (UTC); default today.")
        ] = None,
    ) -> MyStats:
        last = to_date or datetime.datetime.now(tz=datetime.UTC).date()
        first = from_date or last - datetime.timedelta(days=DEFAULT_DAYS - 1)
        if first > last or (last - first).days >= MAX_DAYS:
            detail = f"`from` must not be after `to`, and the range may span at most {MAX_DAYS} days."
            raise Problem(VALIDATION_FAILED, detail, errors=[FieldError(field="from", message=detail)])
        days = await stats.author_activity(principal.account.id, first, last, request_id_of(request))
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
