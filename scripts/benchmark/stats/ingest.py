"""Part 1, ingest: events/s from the first publish until every event is counted, then of a second
consumer alone, draining what is in the broker already."""

from __future__ import annotations

import asyncio
import datetime
import random
import time
import uuid
from collections.abc import Sequence

import grpc

from idl.flock.stats.v1 import stats_pb2 as pb
from idl.flock.stats.v1 import stats_pb2_grpc
from scripts.benchmark.stats.events import PER_POST, Counts, encoded, post_events, publish
from scripts.benchmark.stats.results import Row
from scripts.benchmark.stats.stack import Stack

_rng = random.Random(2026)  # noqa: S311 - the same choices in every run; nothing secret


def counted(stub: stats_pb2_grpc.StatsServiceStub, posts: Sequence[uuid.UUID]) -> list[Counts]:
    """What GetPostStats counts for each of ``posts``, asked 100 at a time."""
    found: list[Counts] = []
    for start in range(0, len(posts), 100):
        request = pb.GetPostStatsRequest(post_ids=[str(post) for post in posts[start : start + 100]])
        reply = stub.GetPostStats(request, timeout=30)
        found += [(s.likes, s.views, s.unique_viewers, s.comments) for s in reply.stats]
    return found


def wait_all_counted(address: str, posts: Sequence[uuid.UUID], timeout: float) -> float:
    """Wait until every post shows PER_POST (a sample first: cheaper to ask); return when it did."""
    deadline = time.monotonic() + timeout
    with grpc.insecure_channel(address) as channel:
        stub = stats_pb2_grpc.StatsServiceStub(channel)
        for subset in (_rng.sample(list(posts), min(100, len(posts))), posts):
            while counted(stub, subset) != [PER_POST] * len(subset):
                if time.monotonic() > deadline:
                    raise RuntimeError("not every event was counted in time")
                time.sleep(0.05)
    return time.monotonic()


def bench_ingest(stack: Stack, total: int) -> list[Row]:
    """Part 1: ``total`` events published while one stats process consumes, then drained by another."""
    count = max(1, total // 100)
    posts = [uuid.uuid4() for _ in range(count)]
    now = datetime.datetime.now(datetime.UTC)
    print(f"making {count * 100:,} events …", flush=True)
    per_post = [post_events(post, uuid.uuid4(), now) for post in posts]
    # Interleaved, as traffic is: the first event of every post, then the second, …
    messages = encoded([event for round_ in zip(*per_post, strict=True) for event in round_])
    _, address = stack.start(stack.environment("ingest"))
    print("publishing while one stats process consumes …", flush=True)
    started = time.monotonic()
    published = asyncio.run(publish(stack.bootstrap, messages))
    done = wait_all_counted(address, posts, timeout=3600)
    _, drain_address = stack.start(stack.environment("drain"))
    drain_started = time.monotonic()  # it has joined its group: reading starts now
    drained = wait_all_counted(drain_address, posts, timeout=3600)
    n = len(messages)
    return [
        Row(f"Publish {n:,} events (one aiokafka producer)", f"{n / published:,.0f} events/s"),
        Row(
            f"Ingest {n:,} events, publish → queryable",
            f"{n / (done - started):,.0f} events/s ({done - started:.1f} s), exact",
            "≥ 100,000 events/s",
        ),
        Row(
            f"Ingest {n:,} events already in the broker (consumer alone)",
            f"{n / (drained - drain_started):,.0f} events/s ({drained - drain_started:.1f} s), exact",
            "≥ 100,000 events/s",
        ),
    ]
