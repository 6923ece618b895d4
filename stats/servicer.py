"""The gRPC face of the service, and nothing more: protobuf in, one call to the rules, protobuf out.

Every method goes through :func:`_rpc`, the one place that turns errors into gRPC status codes: the
offending field of an INVALID_ARGUMENT goes in trailing metadata ``flock-field`` (and a stable code
in ``flock-reason``), ClickHouse out of reach is UNAVAILABLE, and work whose deadline has passed is
refused (DEADLINE_EXCEEDED) or abandoned. Protobuf types stop here.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, TypeVar

import grpc

from idl.flock.stats.v1 import stats_pb2 as pb
from idl.flock.stats.v1 import stats_pb2_grpc
from stats.clickhouse import is_outage, is_timeout
from stats.domain import AuthorSubject, InvalidArgument, Metric, Period, PostSubject, StatsError, Subject
from stats.service import Stats, parse_id

log = logging.getLogger("flock.stats")

FIELD_METADATA = "flock-field"
REASON_METADATA = "flock-reason"
# Less time than this left on arrival: no ClickHouse round trip could finish in it, so none starts.
MIN_USEFUL_SECONDS = 0.002

STATUS: dict[type[StatsError], grpc.StatusCode] = {InvalidArgument: grpc.StatusCode.INVALID_ARGUMENT}

_METRICS = {pb.METRIC_LIKES: Metric.LIKES, pb.METRIC_VIEWS: Metric.VIEWS, pb.METRIC_COMMENTS: Metric.COMMENTS}
_PERIODS = {pb.PERIOD_DAY: Period.DAY, pb.PERIOD_WEEK: Period.WEEK, pb.PERIOD_ALL: Period.ALL}

Context = grpc.aio.ServicerContext[Any, Any]
Request = TypeVar("Request")
Response = TypeVar("Response")
Handler = Callable[["StatsServicer", Request, Context, float | None], Awaitable[Response]]


async def _abort(context: Context, error: StatsError) -> NoReturn:
    field = getattr(error, "field", "")
    metadata = ((REASON_METADATA, error.reason),) + (((FIELD_METADATA, field),) if field else ())
    await context.abort(STATUS[type(error)], str(error), trailing_metadata=metadata)


def _rpc(
    handler: Handler[Request, Response],
) -> Callable[[StatsServicer, Request, Context], Awaitable[Response]]:
    """Run ``handler`` with the call's deadline unless it has passed, translating errors to status codes."""

    @functools.wraps(handler)
    async def guarded(self: StatsServicer, request: Request, context: Context) -> Response:
        remaining = context.time_remaining()
        if remaining is not None and remaining < MIN_USEFUL_SECONDS:
            await context.abort(
                grpc.StatusCode.DEADLINE_EXCEEDED, "The deadline passed before the call began."
            )
        deadline = None if remaining is None else time.monotonic() + remaining
        try:
            return await handler(self, request, context, deadline)
        except StatsError as error:
            await _abort(context, error)
        except Exception as error:
            if is_timeout(error):
                await context.abort(grpc.StatusCode.DEADLINE_EXCEEDED, "The deadline passed.")
            request_id = dict(context.invocation_metadata() or ()).get("x-request-id", "")
            if is_outage(error):
                log.warning(
                    "%s failed, ClickHouse unreachable (request %s): %r", handler.__name__, request_id, error
                )
                await context.abort(grpc.StatusCode.UNAVAILABLE, "The statistics database is unavailable.")
            log.exception("%s failed (request %s)", handler.__name__, request_id)
            await context.abort(grpc.StatusCode.INTERNAL, "Internal error.")
        raise AssertionError("unreachable: context.abort raises")

    return guarded


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
        self, request: pb.GetPostStatsRequest, context: Context, deadline: float | None
    ) -> pb.GetPostStatsResponse:
        found = await self._stats.post_stats(list(request.post_ids), deadline)
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
        self, request: pb.TopPostsRequest, context: Context, deadline: float | None
    ) -> pb.TopPostsResponse:
        ranked = await self._stats.top_posts(
            _METRICS.get(request.metric), _PERIODS.get(request.period), request.limit, deadline
        )
        return pb.TopPostsResponse(
            posts=[
                pb.RankedPost(post_id=str(post.post_id), author_id=str(post.author_id), value=post.value)
                for post in ranked
            ]
        )

    @_rpc
    async def TopAuthors(  # noqa: N802
        self, request: pb.TopAuthorsRequest, context: Context, deadline: float | None
    ) -> pb.TopAuthorsResponse:
        ranked = await self._stats.top_authors(
            _METRICS.get(request.metric), _PERIODS.get(request.period), request.limit, deadline
        )
        return pb.TopAuthorsResponse(
            authors=[
                pb.RankedAuthor(author_id=str(author.author_id), value=author.value) for author in ranked
            ]
        )

    @_rpc
    async def Activity(  # noqa: N802
        self, request: pb.ActivityRequest, context: Context, deadline: float | None
    ) -> pb.ActivityResponse:
        days = await self._stats.activity(_subject(request), request.from_date, request.to_date, deadline)
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
