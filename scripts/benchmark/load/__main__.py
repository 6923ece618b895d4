"""Benchmark a running Flock through its public REST API (``just bench``).

Start the system first (``uv run just up``). The benchmark then

1. seeds it with the seeder of ``just seed`` (``scripts/seeding``: same code, same ``--seed``, so a data
   set ``just seed`` made is reused): ``--users`` accounts on a power-law follow graph and ``--posts``
   posts. Re-runs with the same seed create nothing new;
2. **reads** (wrk, at each ``--connections`` level for ``--duration`` seconds): ``GET /posts/{id}``
   (random public seeded posts; anonymous, then signed in as ``--readers`` different accounts),
   ``GET /users/{username}/posts?limit=20`` (random seeded walls) and ``GET /feed?limit=20`` signed in as
   ``--readers`` different accounts (wrk's Lua script picks a random path and token per request);
3. **target**: the home feed's worst case, its own data set: one reader following ``--feed-authors``
   accounts that wrote ``--feed-posts`` posts in all reads the first page of its feed, then page
   ``--feed-depth`` (by cursor), on 1 connection;
4. **blocks**: what blocks and mutes cost, its own data set: two readers follow the same
   ``--blocks-authors`` accounts (``--blocks-posts`` posts in all); the second also blocks ``--blocked``
   and mutes ``--muted`` accounts that neither follows. Each reads its feed, then the authors' walls
   (signed in), in turn at each ``--connections`` level: the same posts, with and without the filters;
5. **mix**: a DeathStarBench-like mixed workload on the seeded graph for ``--duration`` seconds:
   60 % read the home feed, 30 % read a wall (mostly of someone followed), 10 % write a post, each as a
   random seeded account, from ``--mix-workers`` closed-loop workers (each sends its next request when
   the last one is answered). A small asyncio HTTP/1.1 client measures each operation's latency (wrk
   cannot tell operations apart, and httpx costs ~0.8 ms of client CPU per request, against ~0.05 ms);
6. **fanout**: the new-post mail fan-out: one author with ``--fanout-followers`` verified followers
   posts once; measured until every follower's mail is queued, and until the SMTP server has accepted
   the last one (``scripts/benchmark/load/fanout.py``; it needs the gateway's database: the running
   ``just up``'s, or ``--gateway-db-url``);
7. prints Markdown tables: requests/s, p50 and p99 latency and errors per endpoint and connection level,
   and per operation of the mix.

``--skip reads|target|blocks|mix|fanout`` (repeatable) leaves parts out. Exits with 2 if the system is not up
or wrk is missing, and 1 if seeding fails or errors dominate a run. Everything shares one machine with
the system under test: compare runs on the same machine only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from scripts.benchmark.errors import BenchError
from scripts.benchmark.load.fanout import fanout_table
from scripts.benchmark.load.runner import bench
from scripts.benchmark.load.tables import markdown_table, mix_table
from scripts.benchmark.load.wrk import WRK_INSTALL
from scripts.devstack.paths import DATA_DIR
from scripts.devstack.record import running_system
from scripts.seeding import NotUp, SeedError
from scripts.seeding.options import URL_HELP, HelpFormatter, add_plan_options, at_least, loopback_url, target
from scripts.seeding.plan import SeedConfig

PARTS = ("reads", "target", "blocks", "mix", "fanout")


def _connection_levels(text: str) -> list[int]:
    return [at_least(1)(level) for level in text.split(",")]


# The seeder's defaults, without comments, likes and views: they cost seeding time and barely change
# what the reads cost. `just seed` with the same --seed makes the same accounts, graph and posts.
BENCH_DEFAULTS = SeedConfig(comments=0, likes=0, views=0)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The options; ``--url`` stays None unless given (:func:`~scripts.seeding.options.target`)."""
    parser = argparse.ArgumentParser(prog="just bench", description=__doc__, formatter_class=HelpFormatter)
    option = parser.add_argument
    option("--url", type=loopback_url, help=URL_HELP)
    add_plan_options(parser, BENCH_DEFAULTS)
    option(
        "--connections", type=_connection_levels, default="1,16,64", metavar="N,N,…", help="wrk connections"
    )
    option("--duration", type=at_least(1), default=10, metavar="SECONDS", help="seconds per run")
    option("--warmup", type=at_least(0), default=2, metavar="SECONDS", help="unmeasured seconds per endpoint")
    option("--readers", type=at_least(1), default=200, metavar="N", help="accounts whose feeds wrk reads")
    option(
        "--feed-authors",
        type=at_least(1),
        default=1000,
        metavar="N",
        help="accounts the target reader follows",
    )
    option("--feed-posts", type=at_least(1), default=100_000, metavar="N", help="posts of those accounts")
    option("--feed-depth", type=at_least(2), default=10, metavar="PAGE", help="the deeper feed page read")
    option(
        "--blocks-authors",
        type=at_least(1),
        default=200,
        metavar="N",
        help="accounts both readers of the blocks part follow",
    )
    option("--blocks-posts", type=at_least(1), default=10_000, metavar="N", help="posts of those accounts")
    option("--blocked", type=at_least(0), default=1000, metavar="N", help="accounts the second reader blocks")
    option("--muted", type=at_least(0), default=1000, metavar="N", help="accounts the second reader mutes")
    option("--mix-workers", type=at_least(1), default=16, metavar="N", help="closed-loop workers of the mix")
    option(
        "--fanout-followers",
        type=at_least(1),
        default=10_000,
        metavar="N",
        help="followers of the fan-out's author",
    )
    option(
        "--fanout-timeout", type=at_least(1), default=600, metavar="SECONDS", help="the fan-out's deadline"
    )
    option(
        "--gateway-db-url",
        default=None,
        metavar="URL",
        help="the gateway's database, for the fan-out (default: the running `just up`'s)",
    )
    option("--skip", action="append", choices=PARTS, default=[], help="leave a part out (repeatable)")
    option("--seed-concurrency", type=at_least(1), default=16, metavar="N", help="seeding requests at once")
    args = parser.parse_args(argv)
    if args.feed_authors > 5000 or args.blocks_authors > 5000:
        parser.error("--feed-authors, --blocks-authors: an account may follow at most 5000 accounts")
    if args.blocked > 10_000 or args.muted > 10_000:
        parser.error("--blocked, --muted: an account may block at most 10,000 accounts and mute 10,000")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Benchmark the gateway of ``--url`` (or the running ``just up``'s); returns the exit code."""
    args = parse_args(argv)
    gateway = target(args.url)
    args.url = gateway.url
    if args.gateway_db_url is None:
        running = running_system(DATA_DIR) if gateway.found.startswith("the running") else None
        args.gateway_db_url = running.gateway_db_url if running else ""
    print(f"Benchmarking {gateway.url} ({gateway.found})", file=sys.stderr, flush=True)
    if {"reads", "target", "blocks"} - set(args.skip) and shutil.which("wrk") is None:
        print(f"bench: wrk is not installed; install it with:\n  {WRK_INSTALL}", file=sys.stderr)
        return 2
    try:
        with tempfile.TemporaryDirectory(prefix="flock-bench-") as folder:
            run = asyncio.run(bench(args, Path(folder)))
    except NotUp as error:
        print(f"bench: {error}\nStart the system first: uv run just up", file=sys.stderr)
        return 2
    except (BenchError, SeedError) as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    print(
        f"\nFlock at {args.url}, seed {args.seed}: {args.users:,} accounts, {args.posts:,} posts; "
        f"{args.duration} s per run, wrk with up to 2 threads, {os.cpu_count()} CPUs shared with the "
        "system under test.\n"
    )
    if run.rows:
        print(markdown_table(run.rows))
    if run.mix:
        print(
            f"\nMixed workload: {args.mix_workers} closed-loop workers for {args.duration} s, each request "
            f"as a random one of the {args.users:,} accounts.\n"
        )
        print(mix_table(run.mix))
    if run.fanout:
        print(
            f"\nNew-post mail fan-out: one post by an account with {run.fanout.followers:,} verified "
            "followers, each to get a mail; seconds from sending the post.\n"
        )
        print(fanout_table(run.fanout))
    failed = [
        f"{row.endpoint} at {row.connections} connections" for row in run.rows if row.result.errors_dominate
    ]
    failed += [f"the mix's {row.label}" for row in run.mix if row.errors_dominate]
    for what in failed:
        print(f"bench: errors dominate {what}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
