"""One benchmark run: seed the system (with ``scripts/seeding``, as ``just seed`` does), then measure
the parts not skipped: the reads, the feed's worst case and the cost of blocks and mutes with wrk, and
the mixed workload."""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

from scripts.benchmark.errors import BenchError
from scripts.benchmark.load.fanout import FanOutResult, fan_out
from scripts.benchmark.load.mix import MIX, MixRequests, mixed_load
from scripts.benchmark.load.tables import MixRow, Row, mix_rows
from scripts.benchmark.load.wrk import LUA_SCRIPT, Workload, run_wrk
from scripts.seeding import API, Account, Api, Seeded, check_up, fan_in_plan, seed, twin_readers_plan
from scripts.seeding.api import expect
from scripts.seeding.options import config
from scripts.seeding.plan import make_plan
from scripts.seeding.runner import each


def log(line: str) -> None:
    """A progress line, on stderr (the tables go to stdout)."""
    print(line, file=sys.stderr, flush=True)


async def fresh(api: Api, accounts: Sequence[Account], seconds: float, concurrency: int) -> None:
    """Renew the tokens of ``accounts`` that would expire within ``seconds``."""

    async def renew(account: Account) -> None:
        if account.renew_at - time.monotonic() < seconds:
            await api.renew(account, stale=account.access_token)

    await each("tokens", accounts, renew, concurrency=concurrency, log=lambda _: None)


class Bench:
    """One benchmark run: the seeded data sets, and the rows measured so far."""

    def __init__(self, args: argparse.Namespace, api: Api, folder: Path) -> None:
        self.args = args
        self.api = api
        self.folder = folder
        self.rows: list[Row] = []
        self.mix: list[MixRow] = []
        self.fanout: FanOutResult | None = None

    def _seconds_per_workload(self) -> float:
        """How long a workload's tokens must last: warm-up and every level, and some slack."""
        args = self.args
        return float((args.warmup + args.duration) * (len(args.connections) + 1) + 120)

    async def measure(self, workload: Workload, levels: Sequence[int]) -> None:
        """Run ``workload`` with wrk at each of ``levels`` connections (after a warm-up); a row each."""
        if self.args.warmup > 0:  # unmeasured: fills connection pools and caches before the first level
            await run_wrk(self.args.url, workload.write(), connections=max(levels), seconds=self.args.warmup)
        for connections in levels:
            log(f"  {workload.label}, connections: {connections}, {self.args.duration} s")
            result = await run_wrk(
                self.args.url, workload.write(), connections=connections, seconds=self.args.duration
            )
            self.rows.append(Row(workload.label, connections, result))

    async def reads(self, seeded: Seeded) -> None:
        """The read workloads on the seeded data: posts (anonymous, signed in), walls, feeds."""
        plan, args = seeded.plan, self.args
        public = [seeded.post_ids[post.index] for post in plan.posts if post.visibility == "public"]
        if not public:
            raise BenchError("no public post was seeded: raise --posts")
        rng = random.Random(f"{args.seed}:readers")  # noqa: S311 - a sample, not a secret
        readers = rng.sample(seeded.accounts, min(args.readers, len(seeded.accounts)))
        as_readers = itertools.cycle(readers)
        folder = self.folder
        workloads = [
            Workload(
                "GET /posts/{id}", folder / "posts.txt", [(f"{API}/posts/{id_}", None) for id_ in public]
            ),
            Workload(
                f"GET /posts/{{id}} (signed in, {len(readers)} readers)",
                folder / "posts-signed-in.txt",
                [(f"{API}/posts/{id_}", next(as_readers)) for id_ in public],
            ),
            Workload(
                "GET /users/{username}/posts?limit=20",
                folder / "walls.txt",
                [(f"{API}/users/{user.username}/posts?limit=20", None) for user in plan.users],
            ),
            Workload(
                f"GET /feed?limit=20 ({len(readers)} readers)",
                folder / "feeds.txt",
                [(f"{API}/feed?limit=20", reader) for reader in readers],
            ),
        ]
        for workload in workloads:
            await fresh(self.api, readers, self._seconds_per_workload(), args.seed_concurrency)
            await self.measure(workload, args.connections)

    async def target(self) -> None:
        """The feed's worst case, on a data set of its own, at 1 connection."""
        args = self.args
        plan = fan_in_plan(args.seed, authors=args.feed_authors, posts=args.feed_posts)
        log(
            f"Seeding the feed's worst case: 1 reader following {args.feed_authors:,} accounts with "
            f"{args.feed_posts:,} posts …"
        )
        reader = (await seed(self.api, plan, concurrency=args.seed_concurrency, log=log)).accounts[0]
        cursor = await self.feed_cursor(reader, args.feed_depth)
        scenario = f"{args.feed_authors:,} followed, {args.feed_posts:,} posts"
        first = Workload(
            f"GET /feed?limit=20 ({scenario})", self.folder / "target.txt", [(f"{API}/feed?limit=20", reader)]
        )
        deep = Workload(
            f"GET /feed?limit=20&cursor=… page {args.feed_depth} ({scenario})",
            self.folder / "target-deep.txt",
            [(f"{API}/feed?limit=20&cursor={cursor}", reader)],
        )
        for workload in (first, deep):
            await fresh(self.api, [reader], self._seconds_per_workload(), 1)
            await self.measure(workload, [1])

    async def blocks(self) -> None:
        """Feeds and walls read by an account that blocks ``--blocked`` and mutes ``--muted`` accounts,
        against the same reads by one that does neither, on a data set of their own: two readers
        following the same accounts, and accounts that only one of them blocks or mutes (and neither
        follows, so both readers see the same posts). The two are measured in turn at each level."""
        args = self.args
        plan = twin_readers_plan(
            args.seed, authors=args.blocks_authors, posts=args.blocks_posts, others=args.blocked + args.muted
        )
        log(
            f"Seeding two readers following {args.blocks_authors:,} accounts with {args.blocks_posts:,} "
            f"posts, and {args.blocked + args.muted:,} accounts to block and mute …"
        )
        seeded = await seed(self.api, plan, concurrency=args.seed_concurrency, log=log)
        plain, shielded = seeded.accounts[:2]
        others = seeded.accounts[2 + args.blocks_authors :]

        async def shield(target: tuple[str, Account]) -> None:
            action, account = target
            response = await self.api.request(
                "POST", f"/users/{account.username}/{action}", account=shielded, json={}
            )
            expect(response, {200}, f"{action} {account.username}")

        targets = [("block", other) for other in others[: args.blocked]]
        targets += [("mute", other) for other in others[args.blocked :]]
        await each("blocks and mutes", targets, shield, concurrency=args.seed_concurrency, log=log)
        walls = [
            f"/users/{author.username}/posts?limit=20"
            for author in seeded.accounts[2 : 2 + args.blocks_authors]
        ]
        shape = f"{args.blocked:,} blocks and {args.muted:,} mutes"
        for connections in args.connections:
            for label, kind, paths in (
                ("GET /feed?limit=20", "feed", ["/feed?limit=20"]),
                ("GET /users/{username}/posts?limit=20", "walls", walls),
            ):
                for reader, scenario in ((plain, "none"), (shielded, shape)):
                    workload = Workload(
                        f"{label} (reader with {scenario})",
                        self.folder / f"blocks-{kind}-{reader.username}.txt",
                        [(f"{API}{path}", reader) for path in paths],
                    )
                    await fresh(self.api, [reader], self._seconds_per_workload(), 1)
                    await self.measure(workload, [connections])

    async def feed_cursor(self, reader: Account, page: int) -> str:
        """The cursor of ``reader``'s feed page ``page`` (that of page ``page - 1``'s ``next_cursor``)."""
        cursor = ""
        for _ in range(page - 1):
            params: dict[str, str | int] = {"limit": 20}
            params.update({"cursor": cursor} if cursor else {})
            response = await self.api.request("GET", "/feed", account=reader, params=params)
            cursor = str(response.json().get("next_cursor") or "") if response.status_code == 200 else ""
            if not cursor:
                raise BenchError(f"the reader's feed has no page {page}: {response.text[:300]}")
        return cursor

    async def run_fanout(self) -> None:
        """One post to ``--fanout-followers`` followers: until every mail is handed to SMTP."""
        args = self.args
        if not args.gateway_db_url:
            raise BenchError(
                "the fan-out part reads the gateway's database: give --gateway-db-url, or --skip fanout"
            )
        self.fanout = await fan_out(
            self.api,
            args.gateway_db_url,
            followers=args.fanout_followers,
            seed=args.seed,
            within=args.fanout_timeout,
            log=log,
        )

    async def run_mix(self, seeded: Seeded) -> None:
        """The mixed workload on the seeded accounts, for ``--duration`` seconds."""
        args = self.args
        await fresh(self.api, seeded.accounts, args.duration + 120, args.seed_concurrency)
        log(f"  mix {args.mix_workers} workers, {args.duration} s")
        samples, seconds = await mixed_load(
            args.url, MixRequests(seeded), workers=args.mix_workers, seconds=args.duration, seed=args.seed
        )
        self.mix = mix_rows(MIX, samples, seconds)


async def bench(args: argparse.Namespace, folder: Path) -> Bench:
    """Seed, then measure the parts not skipped."""
    (folder / "paths.lua").write_text(LUA_SCRIPT)
    limits = httpx.Limits(
        max_connections=args.seed_concurrency, max_keepalive_connections=args.seed_concurrency
    )
    async with httpx.AsyncClient(base_url=args.url, timeout=30, limits=limits) as client:
        await check_up(client, (f"{API}/posts", f"{API}/feed", f"{API}/users/{{username}}/follow"))
        run = Bench(args, Api(client), folder)
        if {"reads", "mix"} - set(args.skip):
            plan = make_plan(config(args))
            log(
                f"Seeding {len(plan.users):,} accounts, {len(plan.follows):,} follows and "
                f"{len(plan.posts):,} posts through {args.url}{API} (seed {args.seed}) …"
            )
            seeded = await seed(run.api, plan, concurrency=args.seed_concurrency, log=log)
            if "reads" not in args.skip:
                await run.reads(seeded)
            if "mix" not in args.skip:
                await run.run_mix(seeded)
        if "target" not in args.skip:
            await run.target()
        if "blocks" not in args.skip:
            await run.blocks()
        if "fanout" not in args.skip:
            await run.run_fanout()
        return run
