"""Benchmark the stats service: ingest throughput, like→visible latency, query latency.

It needs nothing running. It starts a Kafka-protocol broker (Tansu, as ``just up`` does) and stats
processes as the local runner defines them (``python -m stats setup``, then ``python -m stats``: the
consumer and the gRPC API in one process, on the embedded ClickHouse, chdb), each on a fresh data path
in a temporary folder, and measures from the outside: events in through the broker, answers out
through gRPC, as the publishers and the gateway see them.

1. **Ingest**: ``--events`` (1M) events, 100 per post, published as fast as one Python producer can
   while a stats process consumes them; events/s from the first publish until GetPostStats shows every
   one counted (all posts checked exactly). Then a second stats process (a fresh data path and
   consumer group) drains the same events from the broker: events/s of the consumer alone.
2. **Like→visible**: views published at a steady ``--rate`` (1k) events/s while a probe likes a post,
   then polls GetPostStats until the like shows; p50/p99 over ``--seconds`` (20 s), after 3 s of
   warm-up.
3. **Queries**: ``--rows`` (10M) events generated straight into a fresh ClickHouse data path with
   INSERT … SELECT FROM numbers() (the ``events`` table, then the counter tables from it, as ingest would
   have left them: 100k posts by 20k authors over 30 days, popularity skewed, most activity in a post's
   first day, merges let settle), served by ``python -m stats serve``; p50/p99 of each call, one at a
   time. Rankings twice: computed afresh on every call (``FLOCK_STATS_RANKING_TTL_MS=0``), and as
   served by default, each computed at most once per 0.5 s and shared meanwhile.

Everything shares one machine (the producer, the broker, the service, the probes): compare runs on the
same machine only. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime
import functools
import itertools
import math
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import grpc
import uuid_utils
from aiokafka import AIOKafkaProducer

from idl.flock.events.v1 import events
from idl.flock.stats.v1 import stats_pb2 as pb
from idl.flock.stats.v1 import stats_pb2_grpc
from scripts import devstack
from stats import schema
from stats.clickhouse import ClickHouse, Connection

Counts = tuple[int, int, int, int]  # likes, views, unique viewers, comments
Base = TypeVar("Base", bound=events.PostEventBase)
PER_POST: Counts = (20, 60, 30, 7)  # what each ingest post's 100 events add up to
WARM_UP_SECONDS = 3.0
_rng = random.Random(2026)  # noqa: S311 - the same choices in every run; nothing secret


@dataclasses.dataclass(frozen=True)
class Row:
    """One line of the report."""

    what: str
    result: str
    target: str = ""


def percentile(samples: Sequence[float], percent: float) -> float:
    """The nearest-rank percentile of ``samples``."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[rank - 1]


def latency(samples: Sequence[float]) -> str:
    """``p50 / p99`` in milliseconds, from samples in seconds."""
    return f"p50 {percentile(samples, 50) * 1000:.1f} ms / p99 {percentile(samples, 99) * 1000:.1f} ms"


def markdown_table(rows: Sequence[Row]) -> str:
    lines = ["| Measurement | Result | Target |", "|---|---|---|"]
    lines += [f"| {row.what} | {row.result} | {row.target} |" for row in rows]
    return "\n".join(lines)


def new_id() -> uuid.UUID:
    """A UUIDv7, as the publishers make them."""
    return uuid.UUID(bytes=uuid_utils.uuid7().bytes)


def post_events(post: uuid.UUID, author: uuid.UUID, at: datetime.datetime) -> list[events.Event]:
    """100 events of one post, adding up to PER_POST: 25 likes and 5 taken back, 60 views by 30
    readers, 8 comments and 1 deleted, and its creation."""
    fans = [uuid.uuid4() for _ in range(25)]

    def by(kind: type[Base], actor: uuid.UUID, **extra: Any) -> Base:
        return kind(
            event_id=new_id(), occurred_at=at, actor_id=actor, post_id=post, post_author_id=author, **extra
        )

    comments = [by(events.CommentAdded, fans[n], comment_id=uuid.uuid4()) for n in range(8)]
    made: list[events.Event] = [by(events.PostCreated, author)]
    made += [by(events.PostLiked, fan) for fan in fans]
    made += [by(events.PostUnliked, fan) for fan in fans[:5]]
    made += [
        events.PostViewed(
            event_id=new_id(),
            occurred_at=at,
            post_id=post,
            post_author_id=author,
            viewer_key=f"reader-{n % 30}",
        )
        for n in range(60)
    ]
    made += comments
    made.append(by(events.CommentDeleted, author, comment_id=comments[0].comment_id))
    return made


def topic(event: events.Event) -> str:
    return events.VIEWS_TOPIC if isinstance(event, events.PostViewed) else events.POSTS_TOPIC


def encoded(batch: Sequence[events.Event]) -> list[tuple[str, bytes, bytes]]:
    """(topic, key, value) of each event, as the publishers send them."""
    return [(topic(event), str(event.post_id).encode(), events.encode(event)) for event in batch]


async def publish(bootstrap: str, messages: Sequence[tuple[str, bytes, bytes]]) -> float:
    """Publish everything as fast as one producer can; return the seconds it took."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=20, max_batch_size=1024 * 1024)
    await producer.start()
    started = time.monotonic()
    try:
        pending = []
        for name, key, value in messages:
            pending.append(await producer.send(name, value, key=key))
            if len(pending) >= 50_000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return time.monotonic() - started


# --- processes ----------------------------------------------------------------------------------


class Stack:
    """A broker, and stats processes on data paths of their own, all in one temporary folder."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="flock-bench-stats-"))
        self.children: list[tuple[devstack.Process, subprocess.Popen[str]]] = []
        self.broker: subprocess.Popen[bytes] | None = None
        self.bootstrap = ""

    def fresh_broker(self) -> None:
        """Stop the processes and the broker, and start an empty broker: each part of the benchmark
        starts from nothing (the broker keeps nothing across restarts)."""
        self.stop()
        if self.broker is not None:
            self.broker.terminate()
            self.broker.wait(10)
        self.bootstrap = f"127.0.0.1:{free_port()}"
        self.broker = devstack.start_embedded_broker(self.bootstrap, self.folder / "broker.log")

    def environment(self, name: str, **overrides: str) -> dict[str, str]:
        env = {
            "FLOCK_KAFKA_BOOTSTRAP": self.bootstrap,
            "FLOCK_STATS_PORT": str(free_port()),
            "FLOCK_STATS_CONSUMER_GROUP": f"bench-{name}",
            # Tansu makes a consumer wait half its session timeout to join; Kafka allows 6 s and up.
            "FLOCK_STATS_SESSION_TIMEOUT_MS": "2000",
            "FLOCK_LOG_LEVEL": "warning",
            **overrides,
        }
        return devstack.default_environment(env, self.folder / name)

    def start(self, env: dict[str, str], *command: str) -> tuple[devstack.Process, str]:
        """Start a stats process as the runner defines it (``command`` replaces ``run``); return it and
        its gRPC address once it reports SERVING."""
        process = next(process for process in devstack.processes(env) if process.name == "stats")
        if command:
            process = dataclasses.replace(process, argv=[*process.argv, *command])
        for step in process.before:
            devstack.run_step(step, process.env)
        child = devstack.spawn(process, self.folder / "stats.log")
        self.children.append((process, child))
        devstack.wait_ready(process, child, timeout=120)
        return process, process.ready_url.removeprefix("grpc://")

    def stop(self) -> None:
        devstack.stop(self.children)
        self.children.clear()

    def close(self) -> None:
        self.stop()
        if self.broker is not None:
            self.broker.terminate()
            self.broker.wait(10)
        shutil.rmtree(self.folder, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- 1. ingest ----------------------------------------------------------------------------------


def counted(stub: stats_pb2_grpc.StatsServiceStub, posts: Sequence[uuid.UUID]) -> list[Counts]:
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


# --- 2. like → visible --------------------------------------------------------------------------


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


# --- 3. queries ---------------------------------------------------------------------------------

POSTS, AUTHORS, DAYS = 100_000, 20_000, 30
_POST_ID = "toUUID(concat('00000000-0000-4000-8000-', leftPad(toString({p}), 12, '0')))"
_AUTHOR_ID = "toUUID(concat('00000000-0000-4000-9000-', leftPad(toString({p} % {authors}), 12, '0')))"
_DELTAS = {
    "likes": "multiIf(type = 'post_liked', 1, type = 'post_unliked', -1, 0)",
    "views": "toInt64(type = 'post_viewed')",
    "comments": "multiIf(type = 'comment_added', 1, type = 'comment_deleted', -1, 0)",
}


def generation_sql(rows: int, now: datetime.datetime) -> list[str]:
    """INSERT … SELECT statements that fill ``events`` with ``rows`` events and then the counter tables
    from it. Posts are created uniformly over the last 30 days; a post's events follow its creation by
    an exponential delay (mean: one day); which post gets an event is skewed (square of a uniform)."""
    post = _POST_ID.format(p="p")
    author = _AUTHOR_ID.format(p="p", authors=AUTHORS)
    now_sql = f"toDateTime64({int(now.timestamp())}, 3, 'UTC')"
    created = f"{now_sql} - toIntervalSecond(cityHash64(p) % {DAYS * 86400})"
    delay = "toIntervalSecond(toUInt32(-log(1 - randCanonical()) * 86400))"
    kind = (
        "multiIf(r < 80, 'post_viewed', r < 92, 'post_liked', r < 94, 'post_unliked',"
        " r < 99, 'comment_added', 'comment_deleted')"
    )
    columns = (
        "event_id, type, occurred_at, post_id, author_id, actor_id, viewer_key, comment_id,"
        " kafka_topic, kafka_partition, kafka_offset"
    )
    counters = ", ".join(f"sum({expression})" for expression in _DELTAS.values())
    counted = "type NOT IN ('post_created', 'post_updated', 'post_deleted')"
    return [
        f"INSERT INTO events ({columns}) SELECT generateUUIDv7(number), {kind} AS type,"  # noqa: S608 - constants
        f" least({created} + {delay}, {now_sql}), {post}, {author}, generateUUIDv4(number),"
        " if(type = 'post_viewed', toString(rand(3) % 200000), ''), NULL, 'bench', 0, number"
        f" FROM (SELECT number, rand(1) % 100 AS r, toUInt64({POSTS} * pow(randCanonical(), 2)) AS p"
        f" FROM numbers({rows}))",
        f"INSERT INTO events ({columns}) SELECT generateUUIDv7(number),"  # noqa: S608 - constants
        f" if(number < {POSTS}, 'post_created', 'post_deleted'), {created}, {post}, {author}, {author},"
        f" '', NULL, 'bench', 1, number FROM (SELECT number, number % {POSTS} AS p"
        f" FROM numbers({POSTS + POSTS // 100}))",
        f"INSERT INTO post_totals SELECT post_id, any(author_id), {counters},"  # noqa: S608 - constants
        " max(type = 'post_deleted'), (0, -1) FROM events GROUP BY post_id",
        "INSERT INTO post_hours SELECT toStartOfHour(occurred_at) AS hour, post_id,"  # noqa: S608 - constants
        f" any(author_id), {counters}, 0, (0, -1) FROM events WHERE {counted} GROUP BY hour, post_id",
        "INSERT INTO post_days SELECT toDate(occurred_at) AS day, post_id,"  # noqa: S608 - constants
        f" any(author_id), {counters}, 0, (0, -1) FROM events WHERE {counted} GROUP BY day, post_id",
        "INSERT INTO viewers SELECT DISTINCT post_id, toDate(occurred_at), viewer_key FROM events"
        " WHERE type = 'post_viewed'",
    ]


def generate(url: str, rows: int) -> float:
    """Apply the schema, generate the data at ``url`` in this process and let its merges settle; return
    the seconds taken."""

    async def run() -> None:
        clickhouse = ClickHouse(url)
        try:
            await clickhouse.call(schema.migrate)
            for statement in generation_sql(rows, datetime.datetime.now(datetime.UTC)):
                await clickhouse.call(functools.partial(_command, sql=statement))
            await settle(clickhouse)
        finally:
            await clickhouse.close()

    started = time.monotonic()
    asyncio.run(run())
    return time.monotonic() - started


async def settle(clickhouse: ClickHouse, seconds: float = 120.0) -> None:
    """Wait (at most ``seconds``) for the background merges a bulk load starts: in a table in use they
    would be long done."""
    deadline, quiet = time.monotonic() + seconds, 0
    while quiet < 3 and time.monotonic() < deadline:
        merges = await clickhouse.call(
            lambda connection: connection.rows("SELECT count() FROM system.merges")
        )
        quiet = quiet + 1 if merges[0][0] == 0 else 0
        await asyncio.sleep(1)


def _command(connection: Connection, sql: str) -> None:
    connection.command(sql)


def timed(call: Callable[[], object], times: int) -> list[float]:
    for _ in range(10):  # warm up
        call()
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


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


# --- main ---------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000, help="events to ingest (default 1M)")
    parser.add_argument("--rate", type=int, default=1000, help="background events/s while probing likes")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long to probe likes")
    parser.add_argument("--rows", type=int, default=10_000_000, help="events generated for the queries")
    parser.add_argument("--times", type=int, default=200, help="calls of each query measured")
    parser.add_argument(
        "--only", choices=["ingest", "latency", "queries"], action="append", help="run only these parts"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    parts = args.only or ["ingest", "latency", "queries"]
    stack = Stack()
    rows: list[Row] = []
    try:
        runs: list[tuple[str, Callable[[], list[Row]]]] = [
            ("ingest", functools.partial(bench_ingest, stack, args.events)),
            ("latency", functools.partial(bench_like_to_visible, stack, args.rate, args.seconds)),
            ("queries", functools.partial(bench_queries, stack, args.rows, args.times)),
        ]
        for part, run in runs:
            if part in parts:
                stack.fresh_broker()
                measured = run()
                rows += measured
                print("\n".join(f"  {row.what}: {row.result}" for row in measured), flush=True)
    except (RuntimeError, grpc.RpcError) as error:
        print(f"bench_stats: {error}", file=sys.stderr)
        return 1
    finally:
        stack.close()
    print()
    print(markdown_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
