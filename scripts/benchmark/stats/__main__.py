"""The command line of ``just bench-stats`` (``python -m scripts.benchmark.stats``)."""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable, Sequence

import grpc

import scripts.benchmark.stats
from scripts.benchmark.cli import argument_parser
from scripts.benchmark.stats.ingest import bench_ingest
from scripts.benchmark.stats.latency import bench_like_to_visible
from scripts.benchmark.stats.queries import bench_queries
from scripts.benchmark.stats.results import Row, markdown_table
from scripts.benchmark.stats.stack import Stack


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The sizes of each part, and which parts to run."""
    parser = argument_parser("just bench-stats", scripts.benchmark.stats.__doc__)
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
    """Run the parts asked for, each on a fresh broker; print the table; the exit code."""
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
        print(f"bench-stats: {error}", file=sys.stderr)
        return 1
    finally:
        stack.close()
    print()
    print(markdown_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
