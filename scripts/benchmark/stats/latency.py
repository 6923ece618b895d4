"""Part 2, like→visible: how long a like takes to show in GetPostStats while views stream in."""

from __future__ import annotations

import asyncio
import datetime
import itertools
import random
import time
import uuid

import grpc
from aiokafka import AIOKafkaProducer

from idl.flock.events.v1 import events
from idl.flock.stats.v1 import stats_pb2 as pb
from idl.flock.stats.v1 import stats_pb2_grpc
from scripts.benchmark.report import latency
from scripts.benchmark.stats.events import new_id
from scripts.benchmark.stats.results import Row
from scripts.benchmark.stats.stack import Stack

WARM_UP_SECONDS = 3.0
_rng = random.Random(2026)  # noqa: S311 - the same choices in every run; nothing secret


async def _background(producer: AIOKafkaProducer, rate: int, stop: asyncio.Event) -> None:
    """Views of a thousand posts at ``rate`` events/s, in ticks of 10 ms."""
    posts = [(uuid.uuid4(), uuid.uuid4()) for _ in range(1000)]
    per_tick, started = max(1, rate // 100), time.monotonic()
    for tick in itertools.count():
        if stop.is_set():
            return
        for _ in range(per_tick):
            post, author = _rng.choice(posts)
            view = events.PostViewed(
                event_id=new_id(),
                occurred_at=datetime.datetime.now(datetime.UTC),
                post_id=post,
                post_author_id=author,
                viewer_key=f"reader-{_rng.randrange(10_000)}",
            )
            await producer.send(events.VIEWS_TOPIC, events.encode(view), key=str(post).encode())
        await asyncio.sleep(max(0.0, started + (tick + 1) * 0.01 - time.monotonic()))


async def _probe(producer: AIOKafkaProducer, address: str, seconds: float) -> list[float]:
    """Like a post, poll until the like shows; again and again for ``seconds``, after as many seconds
    of the same to warm up (the first likes also wait for the consumer to start reading)."""
    post, author = uuid.uuid4(), uuid.uuid4()
    samples: list[float] = []
    warm = 0
    async with grpc.aio.insecure_channel(address) as channel:
        stub = stats_pb2_grpc.StatsServiceStub(channel)
        warm_until = time.monotonic() + WARM_UP_SECONDS
        ends = warm_until + seconds
        while time.monotonic() < ends:
            if not warm and time.monotonic() > warm_until:
                warm = len(samples)
            like = events.PostLiked(
                event_id=new_id(),
                occurred_at=datetime.datetime.now(datetime.UTC),
                actor_id=uuid.uuid4(),
                post_id=post,
                post_author_id=author,
            )
            started = time.monotonic()
            await producer.send_and_wait(events.POSTS_TOPIC, events.encode(like), key=str(post).encode())
            request = pb.GetPostStatsRequest(post_ids=[str(post)])
            while (await stub.GetPostStats(request, timeout=10)).stats[0].likes <= len(samples):  # noqa: ASYNC110 - polling is the point
                await asyncio.sleep(0.002)
            samples.append(time.monotonic() - started)
            await asyncio.sleep(_rng.uniform(0, 0.1))
    return samples[warm:]


async def _like_to_visible(bootstrap: str, address: str, rate: int, seconds: float) -> list[float]:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await producer.start()
    stop = asyncio.Event()
    try:
        load = asyncio.create_task(_background(producer, rate, stop))
        samples = await _probe(producer, address, seconds)
        stop.set()
        await load
    finally:
        await producer.stop()
    return samples


def bench_like_to_visible(stack: Stack, rate: int, seconds: float) -> list[Row]:
    """Part 2: like→visible latency under ``rate`` views/s, for ``seconds``."""
    _, address = stack.start(stack.environment("latency"))
    print(f"probing like → visible under {rate} events/s for {seconds:.0f} s …", flush=True)
    samples = asyncio.run(_like_to_visible(stack.bootstrap, address, rate, seconds))
    return [
        Row(
            f"Like → visible in GetPostStats, at {rate:,} events/s ({len(samples)} likes)",
            latency(samples),
            "p99 ≤ 1 s",
        )
    ]
