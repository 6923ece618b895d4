"""The contract's edges: validation with the offending field named, health, deadlines."""

from __future__ import annotations

import functools
import uuid
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from idl.flock.stats.v1 import stats_pb2 as pb
from idl.flock.stats.v1 import stats_pb2_grpc
from tests.system.posts.factories import fails
from tests.system.stats.factories import StatsApi

Stub = stats_pb2_grpc.StatsServiceStub


@pytest.mark.parametrize("service", ["", "flock.stats.v1.StatsService"])
def test_health_reports_serving(channel: grpc.Channel, service: str) -> None:
    reply = health_pb2_grpc.HealthStub(channel).Check(
        health_pb2.HealthCheckRequest(service=service), timeout=5
    )
    assert reply.status == health_pb2.HealthCheckResponse.SERVING


@pytest.mark.parametrize(
    "post_ids",
    [["not-a-uuid"], [str(uuid.uuid4()), ""], [str(uuid.uuid4()) for _ in range(101)]],
    ids=["malformed", "empty", "too-many"],
)
def test_get_post_stats_checks_the_ids(stub: Stub, post_ids: list[str]) -> None:
    request = pb.GetPostStatsRequest(post_ids=post_ids)
    fails(lambda: stub.GetPostStats(request, timeout=5), grpc.StatusCode.INVALID_ARGUMENT, "post_ids")


def test_a_hundred_ids_are_fine(api: StatsApi) -> None:
    ids = [str(uuid.uuid4()) for _ in range(100)]
    assert [stats.post_id for stats in api.stats(*ids)] == ids


RANKINGS = pytest.mark.parametrize("rpc", ["TopPosts", "TopAuthors"])


@RANKINGS
@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"period": pb.PERIOD_DAY, "limit": 10}, "metric"),
        ({"metric": 42, "period": pb.PERIOD_DAY, "limit": 10}, "metric"),
        ({"metric": pb.METRIC_LIKES, "limit": 10}, "period"),
        ({"metric": pb.METRIC_LIKES, "period": 7, "limit": 10}, "period"),
        ({"metric": pb.METRIC_LIKES, "period": pb.PERIOD_ALL}, "limit"),
        ({"metric": pb.METRIC_LIKES, "period": pb.PERIOD_ALL, "limit": -1}, "limit"),
        ({"metric": pb.METRIC_LIKES, "period": pb.PERIOD_ALL, "limit": 101}, "limit"),
    ],
)
def test_a_bad_ranking_request_names_its_field(
    stub: Stub, rpc: str, fields: dict[str, Any], field: str
) -> None:
    request_type = pb.TopPostsRequest if rpc == "TopPosts" else pb.TopAuthorsRequest
    call = functools.partial(getattr(stub, rpc), request_type(**fields), timeout=5)
    fails(call, grpc.StatusCode.INVALID_ARGUMENT, field)


def test_a_call_whose_deadline_passes_fails_and_the_server_carries_on(stub: Stub, api: StatsApi) -> None:
    request = pb.TopPostsRequest(metric=pb.METRIC_VIEWS, period=pb.PERIOD_WEEK, limit=100)
    for _ in range(20):
        fails(functools.partial(stub.TopPosts, request, timeout=0.0001), grpc.StatusCode.DEADLINE_EXCEEDED)
    assert api.stats(uuid.uuid4())[0].views == 0
