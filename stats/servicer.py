"""The gRPC face of the service, and nothing more: protobuf in, one call to the rules, protobuf out.

Every method goes through :data:`_rpc`, a :class:`servicekit.grpc_server.Guard`: the one place that
turns errors into gRPC status codes: the offending field of an INVALID_ARGUMENT goes in trailing
metadata ``flock-field`` (and a stable code in ``flock-reason``), ClickHouse out of reach is
UNAVAILABLE, and work whose deadline has passed is refused (DEADLINE_EXCEEDED) or abandoned. Each
method hands the call's deadline on to ClickHouse. Protobuf types stop here.
"""

from __future__ import annotations

import logging

from idl.flock.stats.v1 import stats_pb2 as pb
from idl.flock.stats.v1 import stats_pb2_grpc
from servicekit.grpc_server import Context, Guard, deadline_of
from stats.clickhouse import is_outage, is_timeout
from stats.domain import AuthorSubject, Metric, Period, PostSubject, Subject
from stats.service import Stats, parse_id

log = logging.getLogger("flock.stats")

# Less than 2 ms left on arrival: no ClickHouse round trip could finish in it, so none starts.
_rpc = Guard(
    log,
    unavailable="The statistics database is unavailable.",
    is_outage=is_outage,
    is_timeout=is_timeout,
    min_useful_seconds=0.002,
)

_METRICS = {pb.METRIC_LIKES: Metric.LIKES, pb.METRIC_VIEWS: Metric.VIEWS, pb.METRIC_COMMENTS: Metric.COMMENTS}
_PERIODS = {pb.PERIOD_DAY: Period.DAY, pb.PERIOD_WEEK: Period.WEEK, pb.PERIOD_ALL: Period.ALL}


def _subject(request: pb.ActivityRequest) -> Subject | None:
    match request.WhichOneof("subject"):
        case "post_id":
            return PostSubject(parse_id(request.post_id, "post_id"))
        case "author_id":
            return AuthorSubject(parse_id(request.author_id, "author_id"))
    return None


class StatsServicer(stats_pb2_grpc.StatsServiceServicer):
    """``flock.stats.v1.StatsService`` over :class:`~stats.service.Stats`."""

    def __init__(self, stats: Stats) -> None:
        self._stats = stats

    @_rpc
    async def GetPostStats(  # noqa: N802
        self, request: pb.GetPostStatsRequest, context: Context
    ) -> pb.GetPostStatsResponse:
        found = await self._stats.post_stats(list(request.post_ids), deadline_of(context))
        return pb.GetPostStatsResponse(
            stats=[
                pb.PostStats(
                    post_id=str(stats.post_id),
                    likes=stats.likes,
                    views=stats.views,
                    unique_viewers=stats.unique_viewers,
                    comments=stats.comments,
                )
                for stats in found
            ]
        )

    @_rpc
    async def TopPosts(  # noqa: N802
        self, request: pb.TopPostsRequest, context: Context
    ) -> pb.TopPostsResponse:
        ranked = await self._stats.top_posts(
            _METRICS.get(request.metric), _PERIODS.get(request.period), request.limit, deadline_of(context)
        )
        return pb.TopPostsResponse(
            posts=[
                pb.RankedPost(post_id=str(post.post_id), author_id=str(post.author_id), value=post.value)
                for post in ranked
            ]
        )

    @_rpc
    async def TopAuthors(  # noqa: N802
        self, request: pb.TopAuthorsRequest, context: Context
    ) -> pb.TopAuthorsResponse:
        ranked = await self._stats.top_authors(
            _METRICS.get(request.metric), _PERIODS.get(request.period), request.limit, deadline_of(context)
        )
        return pb.TopAuthorsResponse(
            authors=[
                pb.RankedAuthor(author_id=str(author.author_id), value=author.value) for author in ranked
            ]
        )

    @_rpc
    async def Activity(  # noqa: N802
        self, request: pb.ActivityRequest, context: Context
    ) -> pb.ActivityResponse:
        days = await self._stats.activity(
            _subject(request), request.from_date, request.to_date, deadline_of(context)
        )
        return pb.ActivityResponse(
            days=[
                pb.DailyActivity(
                    date=day.date.isoformat(),
                    likes=day.likes,
                    views=day.views,
                    unique_viewers=day.unique_viewers,
                    comments=day.comments,
                )
                for day in days
            ]
        )
