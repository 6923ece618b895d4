"""Part 3, queries: the latency of each call over the generated events, one call at a time."""

from __future__ import annotations

import datetime
import functools
import random
from collections.abc import Callable, Iterator

import grpc

from idl.flock.stats.v1 import stats_pb2 as pb
from idl.flock.stats.v1 import stats_pb2_grpc
from scripts.benchmark.report import latency
from scripts.benchmark.stats.generation import POSTS, generate
from scripts.benchmark.stats.results import Row
from scripts.benchmark.stats.stack import Stack
from scripts.benchmark.timing import timed

_rng = random.Random(2026)  # noqa: S311 - the same choices in every run; nothing secret


def point_calls(stub: stats_pb2_grpc.StatsServiceStub) -> Iterator[tuple[str, Callable[[], object]]]:
    """The calls about given posts, each on random posts."""

    def post() -> str:
        return f"00000000-0000-4000-8000-{_rng.randrange(POSTS):012d}"

    def stats(count: int) -> Callable[[], object]:
        return lambda: stub.GetPostStats(
            pb.GetPostStatsRequest(post_ids=[post() for _ in range(count)]), timeout=10
        )

    yield "GetPostStats, 1 post", stats(1)
    yield "GetPostStats, 100 posts", stats(100)
    today = datetime.datetime.now(datetime.UTC).date()
    first = (today - datetime.timedelta(days=29)).isoformat()

    def activity() -> object:
        request = pb.ActivityRequest(post_id=post(), from_date=first, to_date=today.isoformat())
        return stub.Activity(request, timeout=10)

    yield "Activity, 1 post, 30 days", activity


def ranking_calls(stub: stats_pb2_grpc.StatsServiceStub) -> Iterator[tuple[str, Callable[[], object]]]:
    """The rankings: top posts by likes and top authors by views, over a day, a week and all time."""
    for name, period in (("day", pb.PERIOD_DAY), ("week", pb.PERIOD_WEEK), ("all", pb.PERIOD_ALL)):
        request = pb.TopPostsRequest(metric=pb.METRIC_LIKES, period=period, limit=100)
        yield f"TopPosts likes, {name}, 100", functools.partial(stub.TopPosts, request, timeout=10)
    for name, period in (("day", pb.PERIOD_DAY), ("all", pb.PERIOD_ALL)):
        authors = pb.TopAuthorsRequest(metric=pb.METRIC_VIEWS, period=period, limit=100)
        yield f"TopAuthors views, {name}, 100", functools.partial(stub.TopAuthors, authors, timeout=10)


def measure(
    address: str,
    calls: Callable[[stats_pb2_grpc.StatsServiceStub], Iterator[tuple[str, Callable[[], object]]]],
    label: str,
    times: int,
) -> list[Row]:
    """Time each of ``calls`` ``times`` times, one at a time after a warm-up; a row each, labelled."""
    with grpc.insecure_channel(address) as channel:
        return [
            Row(
                f"{name}{label}",
                latency(timed(call, times)),
                "p99 ≤ 20 ms" if name.startswith(("GetPostStats", "TopPosts")) else "",
            )
            for name, call in calls(stats_pb2_grpc.StatsServiceStub(channel))
        ]


def bench_queries(stack: Stack, rows: int, times: int) -> list[Row]:
    """Part 3: generate ``rows`` events, then time each call ``times`` times, rankings both ways."""
    env = stack.environment("queries")
    print(f"generating {rows:,} events into ClickHouse …", flush=True)
    seconds = generate(env["FLOCK_STATS_CLICKHOUSE_URL"], rows)
    result = [Row(f"Generate {rows:,} events and their counters (INSERT … SELECT)", f"{seconds:.0f} s")]
    over = f", over {rows / 1e6:.0f}M events"
    # Every ranking computed afresh (no sharing), then as served: shared for FLOCK_STATS_RANKING_TTL_MS.
    _, address = stack.start({**env, "FLOCK_STATS_RANKING_TTL_MS": "0"}, "serve")
    result += measure(address, point_calls, over, times)
    result += measure(address, ranking_calls, f"{over}, computed every call", times)
    stack.stop()
    _, address = stack.start(env, "serve")
    result += measure(address, ranking_calls, f"{over}, as served (shared for 0.5 s)", times)
    return result
