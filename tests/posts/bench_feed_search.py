"""Benchmark ListFeed and SearchPosts on a large posts table (not a test: no timing is asserted).

Run it with ``uv run python -m tests.posts.bench_feed_search`` (``--help`` for the options).

It needs nothing running: like the tests, it starts an embedded PostgreSQL in a temporary folder and
the posts service as the local runner defines it (migrations first), then writes the posts straight
into the database with COPY: ``--posts`` (100k) posts by ``--authors`` (1000) authors whom the reader
follows, and ``--other-posts`` (100k) by ``--other-authors`` (10k) whom they do not, spread over 90
days (UUIDv7 ids of those times), 75 % public, 20 % followers-only, 5 % private, 5 to 40 words each
from a small vocabulary in which "coffee" is in about 30 % of the posts. Then VACUUM ANALYZE, as
autovacuum would have done by then (the feed's per-author scans are index-only once the visibility
map is set); ``--no-vacuum`` only analyzes, as for posts written since the last vacuum.

Each case is called ``--times`` (50) times over gRPC, one at a time, after 5 warm-up calls; it prints
p50/p99 and the EXPLAIN ANALYZE of the feed's and the search's queries. Everything shares one machine:
compare runs on the same machine only.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import grpc

from idl.flock.posts.v1 import posts_pb2 as pb
from idl.flock.posts.v1 import posts_pb2_grpc
from posts.feed import _FEED
from posts.pagination import FEED, MAX_ID, SEARCH, SearchKey
from posts.search import _SEARCH
from scripts import devstack
from tests.conftest import Postgres, service_process, start_process, system_environment

_rng = random.Random(2026)  # noqa: S311 - the same data in every run; nothing secret
VOCABULARY = """
morning evening garden river mountain city train music book cat dog bird window rain sun light friend
family school work office meeting project code python database server cloud network bread cheese apple
orange market street bicycle running walking swimming travel holiday beach summer winter autumn spring
flower tree forest lake ocean boat island bridge tower museum painting photo camera film story poem
letter phone screen game team match goal score season
"""
WORDS = VOCABULARY.split()
DAYS = 90


def uuid7_at(moment: datetime) -> uuid.UUID:
    """A UUIDv7 of ``moment`` (the ids the service makes sort by creation time)."""
    millis = int(moment.timestamp() * 1000)
    rand_a, rand_b = _rng.getrandbits(12), _rng.getrandbits(62)
    return uuid.UUID(int=(millis << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b)


def body() -> str:
    words = _rng.choices(WORDS, k=_rng.randint(5, 40))
    if _rng.random() < 0.3:
        words.insert(_rng.randrange(len(words)), "coffee")
    return " ".join(words)


def visibility() -> str:
    roll = _rng.random()
    return "public" if roll < 0.75 else "followers" if roll < 0.95 else "private"


def rows(authors: Sequence[uuid.UUID], count: int, now: datetime) -> list[tuple[Any, ...]]:
    start = now - timedelta(days=DAYS)
    step = timedelta(days=DAYS) / count
    made = []
    for i in range(count):
        at = start + step * i
        made.append((uuid7_at(at), _rng.choice(authors), body(), visibility(), at, at, 0, 0))
    return made


async def seed(db_url: str, args: argparse.Namespace) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    followed = [uuid.uuid4() for _ in range(args.authors)]
    others = [uuid.uuid4() for _ in range(args.other_authors)]
    now = datetime.now(UTC) - timedelta(minutes=1)
    connection = await asyncpg.connect(db_url)
    try:
        columns = ["id", "author_id", "text", "visibility", "created_at", "updated_at"]
        columns += ["like_count", "comment_count"]
        for authors, count in ((followed, args.posts), (others, args.other_posts)):
            await connection.copy_records_to_table(
                "posts", records=rows(authors, count, now), columns=columns
            )
        await connection.execute("VACUUM ANALYZE posts" if args.vacuum else "ANALYZE posts")
    finally:
        await connection.close()
    return followed, others


def percentile(samples: Sequence[float], percent: float) -> float:
    ordered = sorted(samples)
    return ordered[max(1, math.ceil(percent / 100 * len(ordered))) - 1]


def measure(name: str, call: Callable[[], Any], times: int) -> None:
    for _ in range(5):
        call()
    samples = []
    for _ in range(times):
        began = time.perf_counter()
        call()
        samples.append(time.perf_counter() - began)
    print(
        f"| {name} | {percentile(samples, 50) * 1000:.1f} ms | {percentile(samples, 99) * 1000:.1f} ms |",
        flush=True,
    )


async def explain(db_url: str, title: str, query: str, *params: Any, setting: str = "") -> None:
    connection = await asyncpg.connect(db_url)
    try:
        if setting:
            await connection.execute(f"SET {setting}")
        plan = await connection.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {query}", *params)
    finally:
        await connection.close()
    print(f"\n### {title}\n```")
    # Lines stop at 200 characters: a custom plan spells out the whole following list.
    print("\n".join(row[0] if len(row[0]) <= 200 else f"{row[0][:200]}…" for row in plan))
    print("```")


def run(args: argparse.Namespace) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="flock-bench-feed-"))
    server = devstack.start_embedded_postgres(data_dir / "postgres")
    try:
        env = system_environment(Postgres(server, None))
        posts_service = start_process(service_process(env, "posts"), data_dir)
        try:
            bench(env["FLOCK_POSTS_DB_URL"], f"{env['FLOCK_POSTS_HOST']}:{env['FLOCK_POSTS_PORT']}", args)
        finally:
            posts_service.stop()
    finally:
        server.cleanup()
        shutil.rmtree(data_dir, ignore_errors=True)


def bench(db_url: str, address: str, args: argparse.Namespace) -> None:
    began = time.perf_counter()
    followed, others = asyncio.run(seed(db_url, args))
    total = args.posts + args.other_posts
    print(f"seeded {total} posts in {time.perf_counter() - began:.0f} s\n")
    reader_id = str(uuid.uuid4())
    reader = pb.Caller(user_id=reader_id, following=[str(a) for a in followed])
    most = pb.Caller(user_id=reader_id, following=[str(a) for a in [*followed, *others][:5000]])
    anonymous = pb.Caller()
    times = args.times
    with grpc.insecure_channel(address) as channel:
        stub = posts_pb2_grpc.PostsServiceStub(channel)

        def feed(caller: pb.Caller, token: str = "") -> pb.ListFeedResponse:
            return stub.ListFeed(
                pb.ListFeedRequest(caller=caller, page_size=20, page_token=token), timeout=30
            )

        def search(caller: pb.Caller, query: str, token: str = "") -> pb.SearchPostsResponse:
            request = pb.SearchPostsRequest(caller=caller, query=query, page_size=20, page_token=token)
            return stub.SearchPosts(request, timeout=30)

        token = ""
        for _ in range(50):  # 1000 posts down
            token = feed(reader, token).next_page_token
        # Half-way back in time: a cursor at the median id of the followed authors' posts.
        middle = asyncio.run(median_id(db_url, followed))
        halfway = FEED.encode(middle)
        search_token = ""
        for _ in range(10):
            search_token = search(reader, "coffee", search_token).next_page_token

        print(f"| Call ({times} times, page size 20) | p50 | p99 |\n|---|---|---|")
        measure(f"ListFeed, {len(followed)} followed, first page", lambda: feed(reader), times)
        measure("ListFeed, 51st page (1000 posts down)", lambda: feed(reader, token), times)
        measure("ListFeed, half-way back (45 days)", lambda: feed(reader, halfway), times)
        measure("ListFeed, 5000 followed, first page", lambda: feed(most), times)
        measure(
            "SearchPosts 'coffee' (~30 % of posts), anonymous", lambda: search(anonymous, "coffee"), times
        )
        measure(f"SearchPosts 'coffee', {len(followed)} followed", lambda: search(reader, "coffee"), times)
        measure("SearchPosts 'coffee', 5000 followed", lambda: search(most, "coffee"), times)
        measure("SearchPosts 'coffee', 11th page", lambda: search(reader, "coffee", search_token), times)
        measure("SearchPosts 'coffee morning' (both words)", lambda: search(reader, "coffee morning"), times)
        measure(
            "SearchPosts '\"museum bicycle\"' (a phrase)", lambda: search(reader, '"museum bicycle"'), times
        )
        measure("SearchPosts 'the' (stop word only)", lambda: search(reader, "the"), times)

    following = [*followed]
    user_id = uuid.UUID(reader_id)
    # As posts.feed runs it.
    no_bitmaps = "enable_bitmapscan = off"
    asyncio.run(
        explain(db_url, "ListFeed, first page", _FEED, user_id, following, MAX_ID, 21, setting=no_bitmaps)
    )
    asyncio.run(
        explain(db_url, "ListFeed, half-way back", _FEED, user_id, following, middle, 21, setting=no_bitmaps)
    )
    first = SEARCH.first
    asyncio.run(
        explain(
            db_url,
            "SearchPosts 'coffee'",
            _SEARCH,
            "coffee",
            user_id,
            following,
            first.rank,
            first.post_id,
            21,
        )
    )
    key: SearchKey = SEARCH.decode(search_token)
    asyncio.run(
        explain(
            db_url,
            "SearchPosts 'coffee', 11th page",
            _SEARCH,
            "coffee",
            user_id,
            following,
            key.rank,
            key.post_id,
            21,
        )
    )


async def median_id(db_url: str, authors: list[uuid.UUID]) -> uuid.UUID:
    connection = await asyncpg.connect(db_url)
    try:
        ids = await connection.fetch(
            "SELECT id FROM posts WHERE author_id = ANY($1::uuid[]) ORDER BY id", authors
        )
    finally:
        await connection.close()
    return uuid.UUID(str(ids[len(ids) // 2]["id"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--authors", type=int, default=1000, help="authors the reader follows")
    parser.add_argument("--posts", type=int, default=100_000, help="posts by the followed authors")
    parser.add_argument(
        "--other-authors", type=int, default=10_000, help="authors the reader does not follow"
    )
    parser.add_argument("--other-posts", type=int, default=100_000, help="posts by the others")
    parser.add_argument("--times", type=int, default=50, help="calls per case")
    parser.add_argument(
        "--vacuum", action=argparse.BooleanOptionalAction, default=True, help="VACUUM after loading"
    )
    run(parser.parse_args())


if __name__ == "__main__":
    main()
