"""The stats service's client: counts per post, rankings and an author's activity, as plain records.
Its answers hold no private data: the gateway decides what the caller may see before it asks."""

from __future__ import annotations

import copy
import dataclasses
import datetime
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

import grpc

from gateway.clients.channel import Call, HealthProbe, call_service
from idl.flock.stats.v1 import stats_pb2 as stats_pb
from idl.flock.stats.v1 import stats_pb2_grpc

Reply = TypeVar("Reply")


@dataclasses.dataclass(frozen=True, slots=True)
class PostStatsRecord:
    post_id: uuid.UUID
    likes: int
    views: int
    unique_viewers: int
    comments: int


@dataclasses.dataclass(frozen=True, slots=True)
class RankedPostRecord:
    post_id: uuid.UUID
    author_id: uuid.UUID
    value: int


@dataclasses.dataclass(frozen=True, slots=True)
class RankedAuthorRecord:
    author_id: uuid.UUID
    value: int


@dataclasses.dataclass(frozen=True, slots=True)
class DayRecord:
    date: datetime.date
    likes: int
    views: int
    unique_viewers: int
    comments: int


METRICS = {
    "likes": stats_pb.METRIC_LIKES,
    "views": stats_pb.METRIC_VIEWS,
    "comments": stats_pb.METRIC_COMMENTS,
}
PERIODS = {"day": stats_pb.PERIOD_DAY, "week": stats_pb.PERIOD_WEEK, "all": stats_pb.PERIOD_ALL}


class StatsClient:
    """The stats service, in plain records. Its answers hold no private data: the gateway decides
    what the caller may see before it asks."""

    SERVICE = "stats"

    def __init__(self, channel: grpc.aio.Channel, timeout: float) -> None:
        self._channel = channel
        self._stub: stats_pb2_grpc.StatsServiceAsyncStub = stats_pb2_grpc.StatsServiceStub(channel)
        self._health = HealthProbe(channel, "flock.stats.v1.StatsService", timeout)
        self._timeout = timeout
        self._request_id = ""

    async def health(self) -> str:
        """Whether the stats service serves (``ok``), for the gateway's readiness."""
        return await self._health.check()

    def for_request(self, request_id: str) -> StatsClient:
        """This client, within request ``request_id`` (one per request, sharing the stub)."""
        bound = copy.copy(self)
        bound._request_id = request_id
        return bound

    async def _call(self, method: Callable[..., Awaitable[Reply]], request: object) -> Reply:
        # Every call of the stats service is a read.
        return await call_service(
            self.SERVICE,
            self._channel,
            method,
            request,
            call=Call.READ,
            deadline=self._timeout,
            request_id=self._request_id,
            reasons={},
        )

    async def post_stats(self, post_ids: list[uuid.UUID]) -> dict[uuid.UUID, PostStatsRecord]:
        request = stats_pb.GetPostStatsRequest(post_ids=[str(post_id) for post_id in post_ids])
        reply = await self._call(self._stub.GetPostStats, request)
        return {
            uuid.UUID(s.post_id): PostStatsRecord(
                uuid.UUID(s.post_id), s.likes, s.views, s.unique_viewers, s.comments
            )
            for s in reply.stats
        }

    async def top_posts(self, metric: str, period: str, limit: int) -> list[RankedPostRecord]:
        request = stats_pb.TopPostsRequest(metric=METRICS[metric], period=PERIODS[period], limit=limit)
        reply = await self._call(self._stub.TopPosts, request)
        return [RankedPostRecord(uuid.UUID(p.post_id), uuid.UUID(p.author_id), p.value) for p in reply.posts]

    async def top_authors(self, metric: str, period: str, limit: int) -> list[RankedAuthorRecord]:
        request = stats_pb.TopAuthorsRequest(metric=METRICS[metric], period=PERIODS[period], limit=limit)
        reply = await self._call(self._stub.TopAuthors, request)
        return [RankedAuthorRecord(uuid.UUID(a.author_id), a.value) for a in reply.authors]

    async def author_activity(
        self, author_id: uuid.UUID, first: datetime.date, last: datetime.date
    ) -> list[DayRecord]:
        request = stats_pb.ActivityRequest(
            author_id=str(author_id), from_date=first.isoformat(), to_date=last.isoformat()
        )
        reply = await self._call(self._stub.Activity, request)
        return [
            DayRecord(datetime.date.fromisoformat(d.date), d.likes, d.views, d.unique_viewers, d.comments)
            for d in reply.days
        ]
