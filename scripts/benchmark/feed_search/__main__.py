"""The command line of ``just bench-feed`` (``python -m scripts.benchmark.feed_search``)."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from collections.abc import Sequence

import grpc

import scripts.benchmark.feed_search
from scripts.benchmark.cli import argument_parser
from scripts.benchmark.feed_search.cases import Calls, cursors, measure
from scripts.benchmark.feed_search.data import seed
from scripts.benchmark.feed_search.plans import plans
from scripts.benchmark.feed_search.stack import posts_service


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The sizes of the data set, how often each call is made, and whether to vacuum."""
    parser = argument_parser("just bench-feed", scripts.benchmark.feed_search.__doc__)
    parser.add_argument("--authors", type=int, default=1000, help="authors the reader follows")
    parser.add_argument("--posts", type=int, default=100_000, help="posts by the followed authors")
    parser.add_argument(
        "--other-authors", type=int, default=10_000, help="authors the reader does not follow"
    )
    parser.add_argument("--other-posts", type=int, default=100_000, help="posts by the others")
    parser.add_argument("--times", type=int, default=50, help="calls per case")
    parser.add_argument(
        "--hidden", type=int, default=0, help="suspended accounts (none of them an author here)"
    )
    parser.add_argument("--purged", type=int, default=0, help="deleted accounts, already purged")
    parser.add_argument(
        "--blocks", type=int, default=0, help="accounts the reader blocks (none of them an author here)"
    )
    parser.add_argument(
        "--mutes", type=int, default=0, help="accounts the reader mutes (none of them an author here)"
    )
    parser.add_argument(
        "--vacuum", action=argparse.BooleanOptionalAction, default=True, help="VACUUM after loading"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Start the servers, write the posts, measure, print the table and the plans; the exit code."""
    args = parse_args(argv)
    with posts_service() as service:
        began = time.perf_counter()
        reader = uuid.uuid4()
        followed, others = asyncio.run(seed(service.db_url, args, reader))
        print(f"seeded {args.posts + args.other_posts} posts in {time.perf_counter() - began:.0f} s\n")
        with grpc.insecure_channel(service.address) as channel:
            calls = Calls(channel)
            at = cursors(calls, service.db_url, reader, followed)
            print(measure(calls, at, others, args.times), flush=True)
        print("\n".join(plans(service.db_url, at)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
