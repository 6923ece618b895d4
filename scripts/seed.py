"""Fill a running Flock with deterministic synthetic data through its public REST API (``just seed``).

Start the system first (``uv run just up``). The seeder then creates, through the API so that every
service's rules and events apply:

1. ``--users`` accounts (about ``--private-share`` of them private), each registering and logging in
   from an ``X-Forwarded-For`` address of its own in 2001:db8::/32, so the per-address limit is never hit;
2. a power-law follow graph, ``--follows`` follows per account on average (a few accounts with many
   followers, most with a few); private accounts accept their requests;
3. ``--posts`` posts, spread over the authors by a power law, mostly public, some for followers, few
   private, with texts about recurring topics (so that search finds something);
4. ``--comments`` comments (some replies), ``--likes`` likes and ``--views`` reads, mostly of the posts
   of popular authors, each by someone who may see the post.

The same ``--seed`` gives the same accounts, graph, texts and choices. Running it again on the same
system is safe: what exists is reused, nothing is created twice (posts through their Idempotency-Key,
for 24 hours). Every account's password is ``flock-seed-password``. Registering costs an argon2 hash
per account: for a quick local data set, start Flock with cheaper hashing, e.g.
``FLOCK_ARGON2_TIME_COST=1 FLOCK_ARGON2_MEMORY_COST=1024 uv run just up``.

Exits with 2 if the system is not up, 1 if seeding fails.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import sys
from collections.abc import Sequence

import httpx

from scripts.seeding import API, PASSWORD, Api, NotUp, Plan, SeedConfig, Seeded, SeedError, check_up, seed
from scripts.seeding.options import (
    URL_HELP,
    HelpFormatter,
    add_plan_options,
    at_least,
    config,
    loopback_url,
    target,
)
from scripts.seeding.plan import make_plan

# What the seeder calls: a gateway without them is older than the seeder.
REQUIRED_PATHS = (
    f"{API}/posts",
    f"{API}/users/{{username}}/follow",
    f"{API}/users/me/follow-requests/accept-all",
)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The plan's sizes, the gateway (None unless ``--url``) and the concurrency."""
    parser = argparse.ArgumentParser(prog="just seed", description=__doc__, formatter_class=HelpFormatter)
    parser.add_argument("--url", type=loopback_url, help=URL_HELP)
    add_plan_options(parser, SeedConfig())
    parser.add_argument(
        "--concurrency", type=at_least(1), default=16, metavar="N", help="requests in flight at once"
    )
    return parser.parse_args(argv)


async def run(url: str, plan: Plan, concurrency: int) -> Seeded:
    """Check the gateway at ``url`` is up and new enough, then carry ``plan`` out through it."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
        await check_up(client, REQUIRED_PATHS)
        return await seed(Api(client), plan, concurrency=concurrency)


def summary(seeded: Seeded, url: str) -> str:
    """What was seeded, and how to sign in as one of the accounts."""
    plan, counts = seeded.plan, seeded.counts
    followers = collections.Counter(followee for _, followee in plan.follows)
    posts_by = collections.Counter(post.author for post in plan.posts)
    visibilities = collections.Counter(post.visibility for post in plan.posts)

    def line(label: str, total: int, detail: str) -> str:
        return f"  {label:<9} {total:>9,}  {detail}"

    lines = [
        f"Seeded Flock at {url} with seed {plan.config.seed} in {seeded.total_seconds:.1f} s:",
        line(
            "accounts",
            len(plan.users),
            f"{counts['users new']:,} new, {counts['users existing']:,} there already; "
            f"{sum(user.private for user in plan.users):,} private",
        ),
        line(
            "follows",
            len(plan.follows),
            f"{counts['follows new']:,} new, {counts['follows existing']:,} there already; "
            f"{counts['requests accepted']:,} requests accepted",
        ),
        line(
            "posts",
            len(plan.posts),
            f"{counts['posts new']:,} new, {counts['posts replayed']:,} there already; "
            + ", ".join(f"{visibilities[name]:,} {name}" for name in ("public", "followers", "private")),
        ),
        line(
            "comments",
            len(plan.comments),
            f"{counts['comments new']:,} new, {counts['comments existing']:,} there already; "
            f"{sum(comment.parent is not None for comment in plan.comments):,} replies",
        ),
        line("likes", len(plan.likes), "(idempotent: repeated likes change nothing)"),
        line(
            "views",
            len(plan.views),
            f"{counts['views new']:,} new, {counts['views skipped']:,} skipped (of posts there already)",
        ),
        "",
        f"Every seeded account's password is {PASSWORD!r}. Accounts to try:",
    ]
    examples: list[tuple[int, str]] = []
    if followers:
        top, count = followers.most_common(1)[0]
        examples.append((top, f"the most followed ({count:,} followers)"))
    if posts_by:
        top, count = posts_by.most_common(1)[0]
        examples.append((top, f"writes the most ({count:,} posts)"))
    examples += [(user.index, "a private account") for user in plan.users if user.private][:1]
    examples.append((plan.users[len(plan.users) // 2].index, "an ordinary account"))
    for index, why in examples:
        lines.append(f"  {plan.users[index].username:<24} {why}")
    username = plan.users[examples[0][0]].username
    lines += [
        "",
        f"  curl -sS -X POST {url}{API}/auth/login -H 'Content-Type: application/json' \\",
        f'    -d \'{{"username": "{username}", "password": "{PASSWORD}"}}\'',
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Seed the gateway of ``--url`` (or the running ``just up``'s); returns the exit code."""
    args = parse_args(argv)
    gateway = target(args.url)
    plan = make_plan(config(args))
    print(
        f"Seeding {gateway.url}{API} ({gateway.found}), seed {args.seed}: {len(plan.users):,} accounts, "
        f"{len(plan.follows):,} follows, {len(plan.posts):,} posts, {len(plan.comments):,} comments, "
        f"{len(plan.likes):,} likes, {len(plan.views):,} views …",
        file=sys.stderr,
    )
    try:
        seeded = asyncio.run(run(gateway.url, plan, args.concurrency))
    except NotUp as error:
        print(f"seed: {error}\nStart the system first: uv run just up", file=sys.stderr)
        return 2
    except SeedError as error:
        print(f"seed: {error}", file=sys.stderr)
        return 1
    print(summary(seeded, gateway.url))
    return 0


if __name__ == "__main__":
    sys.exit(main())
