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
4. **mix**: a DeathStarBench-like mixed workload on the seeded graph for ``--duration`` seconds:
   60 % read the home feed, 30 % read a wall (mostly of someone followed), 10 % write a post, each as a
   random seeded account, from ``--mix-workers`` closed-loop workers (each sends its next request when
   the last one is answered). A small asyncio HTTP/1.1 client measures each operation's latency (wrk
   cannot tell operations apart, and httpx costs ~0.8 ms of client CPU per request, against ~0.05 ms);
5. prints Markdown tables: requests/s, p50 and p99 latency and errors per endpoint and connection level,
   and per operation of the mix.

``--skip reads|target|mix`` (repeatable) leaves parts out. Exits with 2 if the system is not up or wrk
is missing, and 1 if seeding fails or errors dominate a run. Everything shares one machine with the
system under test: compare runs on the same machine only.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import dataclasses
import itertools
import json
import math
import os
import random
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx

from scripts.seeding import API, Account, Api, NotUp, Seeded, SeedError, check_up, fan_in_plan, seed
from scripts.seeding.options import HelpFormatter, add_plan_options, at_least, config, loopback_url
from scripts.seeding.plan import SeedConfig, make_plan
from scripts.seeding.runner import each
from scripts.seeding.words import post_text

WRK_INSTALL = "sudo apt-get install -y wrk  (Debian/Ubuntu; `just bench` installs it when run as root)"
PARTS = ("reads", "target", "mix")
# One random line per request from the file named by the first script argument: a path, or a path, a
# tab and an access token to send. Each wrk thread runs this in a Lua state of its own; setup() gives
# each a different random seed.
LUA_SCRIPT = """
local requests = {}
function setup(thread)
  threads = (threads or 0) + 1
  thread:set("seed", threads)
end
function init(args)
  for line in io.lines(args[1]) do
    local path, token = line:match("^([^\\t]+)\\t(.+)$")
    if path then
      requests[#requests + 1] = wrk.format(nil, path, {["Authorization"] = "Bearer " .. token})
    else
      requests[#requests + 1] = wrk.format(nil, line)
    end
  end
  math.randomseed(os.time() * 64 + seed)
end
function request()
  return requests[math.random(#requests)]
end
"""
MIX_TIMEOUT_SECONDS = 5.0  # as wrk's --timeout
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


class BenchError(Exception):
    """The benchmark cannot go on; the message says why."""


@dataclasses.dataclass(frozen=True)
class WrkResult:
    """What one wrk run measured."""

    requests: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    non_2xx: int  # wrk counts statuses >= 400 here
    socket_errors: int  # connect, read, write errors and timeouts

    @property
    def errors_dominate(self) -> bool:
        # Not the sum: a response followed by a closed connection counts in both.
        return self.requests == 0 or max(self.non_2xx, self.socket_errors) * 2 > self.requests


@dataclasses.dataclass(frozen=True)
class Row:
    """One line of the report."""

    endpoint: str
    connections: int
    result: WrkResult


# ---- wrk output (pure) --------------------------------------------------------------------------------


def duration_ms(text: str) -> float:
    """wrk's ``812.00us`` / ``5.10ms`` / ``1.02s`` / ``1.50m`` as milliseconds."""
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text.strip())
    if not match:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _UNIT_MS[match.group(2)]


def parse_wrk(output: str) -> WrkResult:
    """Parse the report of ``wrk --latency``."""

    def find(pattern: str) -> str | None:
        match = re.search(pattern, output, re.MULTILINE)
        return match.group(1) if match else None

    def required(pattern: str) -> str:
        found = find(pattern)
        if found is None:
            raise ValueError(f"no {pattern!r} in wrk's output:\n{output}")
        return found

    def percentile_ms(percent: int) -> float:
        found = find(rf"^\s+{percent}(?:\.0+)?%\s+(\S+)")
        return math.nan if found is None else duration_ms(found)

    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return WrkResult(
        requests=int(required(r"^\s*(\d+) requests in ")),
        requests_per_second=float(required(r"^Requests/sec:\s+([\d.]+)")),
        p50_ms=percentile_ms(50),
        p99_ms=percentile_ms(99),
        non_2xx=int(find(r"Non-2xx or 3xx responses: (\d+)") or 0),
        socket_errors=sum(int(count) for count in socket.groups()) if socket else 0,
    )


def _ms(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.2f}"


def markdown_table(rows: Sequence[Row]) -> str:
    """One line per endpoint and connection count."""
    lines = [
        "| Endpoint | Connections | Requests/s | p50 ms | p99 ms | Non-2xx | Socket errors |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    for row in rows:
        result = row.result
        lines.append(
            f"| {row.endpoint} | {row.connections} | {result.requests_per_second:,.0f} | "
            f"{_ms(result.p50_ms)} | {_ms(result.p99_ms)} | {result.non_2xx} | {result.socket_errors} |"
        )
    return "\n".join(lines)


# ---- the mixed workload (pure parts) ------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Operation:
    """One kind of request of the mix, and its share of the requests."""

    name: str
    label: str
    weight: float


MIX = (
    Operation("feed", "GET /feed?limit=20", 60),
    Operation("wall", "GET /users/{username}/posts?limit=20", 30),
    Operation("post", "POST /posts", 10),
)


def cumulative_weights(operations: Sequence[Operation]) -> list[float]:
    return list(itertools.accumulate(operation.weight for operation in operations))


def pick(rng: random.Random, cumulative: Sequence[float]) -> int:
    """The index of an operation drawn by weight (``cumulative`` sums of the weights)."""
    return min(bisect.bisect_right(cumulative, rng.random() * cumulative[-1]), len(cumulative) - 1)


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of sorted values (``fraction`` 0.5 for p50), NaN if there are none."""
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


@dataclasses.dataclass(frozen=True)
class MixRow:
    """One operation of the mix, or all of them (``operation`` None)."""

    label: str
    share: float  # the intended share of requests, in percent
    requests: int
    errors: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float

    @property
    def errors_dominate(self) -> bool:
        return self.requests == 0 or self.errors * 2 > self.requests


@dataclasses.dataclass
class Samples:
    """Latencies (ms) and errors of the mix, by operation index."""

    latencies: list[list[float]]
    errors: list[int]

    @classmethod
    def empty(cls, operations: int) -> Samples:
        return cls([[] for _ in range(operations)], [0] * operations)


def mix_rows(operations: Sequence[Operation], samples: Samples, seconds: float) -> list[MixRow]:
    """A row per operation and one for all: answered requests (errors included), rate, percentiles."""
    total_weight = sum(operation.weight for operation in operations)

    def row(label: str, share: float, latencies: list[float], errors: int) -> MixRow:
        ordered = sorted(latencies)
        return MixRow(
            label,
            share,
            len(ordered),
            errors,
            len(ordered) / seconds if seconds > 0 else 0.0,
            percentile(ordered, 0.50),
            percentile(ordered, 0.99),
        )

    rows = [
        row(operation.label, 100 * operation.weight / total_weight, latencies, errors)
        for operation, latencies, errors in zip(operations, samples.latencies, samples.errors, strict=True)
    ]
    rows.append(row("all", 100.0, [ms for group in samples.latencies for ms in group], sum(samples.errors)))
    return rows


def mix_table(rows: Sequence[MixRow]) -> str:
    lines = [
        "| Operation | Share | Requests | Requests/s | p50 ms | p99 ms | Errors |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    lines += [
        f"| {row.label} | {row.share:.0f} % | {row.requests:,} | {row.requests_per_second:,.0f} | "
        f"{_ms(row.p50_ms)} | {_ms(row.p99_ms)} | {row.errors} |"
        for row in rows
    ]
    return "\n".join(lines)


# ---- a small HTTP/1.1 keep-alive client, for the mix ------------------------------------------------


class Connection:
    """One keep-alive HTTP/1.1 connection: a request at a time, no redirects, no TLS. A fraction of
    httpx's client CPU per request, which matters when the load generator shares 2 cores with Flock."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def request(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes = b""
    ) -> tuple[int, bytes]:
        """The status and body of one request; reconnects if the last answer closed the connection."""
        if self._streams is None:
            self._streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self._streams
        lines = [f"{method} {target} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if body or method in {"POST", "PUT", "PATCH"}:
            lines.append(f"Content-Length: {len(body)}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        try:
            status, answer, close = await read_response(reader)
        except BaseException:
            self.close()
            raise
        if close:
            self.close()
        return status, answer

    def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """Status, body and whether the server closes the connection, of one HTTP/1.1 response."""
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    status = int(head[0].split(" ", 2)[1])
    fields: dict[str, str] = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        if name:
            fields[name.strip().lower()] = value.strip().lower()
    if fields.get("transfer-encoding") == "chunked":
        chunks = []
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            chunks.append((await reader.readexactly(size + 2))[:-2])
        while await reader.readuntil(b"\r\n") != b"\r\n":  # trailer fields, if any
            pass
        body = b"".join(chunks)
    else:
        body = await reader.readexactly(int(fields.get("content-length", "0")))
    return status, body, fields.get("connection") == "close"


# ---- load generation ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Workload:
    """An endpoint to measure: wrk sends random ones of ``requests`` (a path, and the account to send
    it as, if any), written to ``paths`` with the accounts' current tokens before each run."""

    label: str
    paths: Path
    requests: Sequence[tuple[str, Account | None]]

    def write(self) -> Path:
        self.paths.write_text(request_lines(self.requests))
        return self.paths


def request_lines(requests: Sequence[tuple[str, Account | None]]) -> str:
    """The lines the Lua script reads: a path, or a path, a tab and the account's access token."""
    return "".join(
        f"{path}\t{account.access_token}\n" if account else f"{path}\n" for path, account in requests
    )


async def run_wrk(url: str, paths: Path, *, connections: int, seconds: int) -> WrkResult:
    """One wrk run requesting random lines from ``paths`` (next to the Lua script)."""
    threads = min(2, connections, os.cpu_count() or 1)  # wrk shares the (2-core) machine with Flock
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    command += ["-s", str(paths.parent / "paths.lua"), url, "--", str(paths)]
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    output = (await process.communicate())[0].decode()
    if process.returncode != 0:
        raise BenchError(f"wrk failed ({process.returncode}):\n{output}")
    return parse_wrk(output)


def log(line: str) -> None:
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

    def _seconds_per_workload(self) -> float:
        """How long a workload's tokens must last: warm-up and every level, and some slack."""
        args = self.args
        return float((args.warmup + args.duration) * (len(args.connections) + 1) + 120)

    async def measure(self, workload: Workload, levels: Sequence[int]) -> None:
        if self.args.warmup > 0:  # unmeasured: fills connection pools and caches before the first level
            await run_wrk(self.args.url, workload.write(), connections=max(levels), seconds=self.args.warmup)
        for connections in levels:
            log(f"  {workload.label}, connections: {connections}, {self.args.duration} s")
            result = await run_wrk(
                self.args.url, workload.write(), connections=connections, seconds=self.args.duration
            )
            self.rows.append(Row(workload.label, connections, result))

    async def reads(self, seeded: Seeded) -> None:
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

    async def run_mix(self, seeded: Seeded) -> None:
        args = self.args
        await fresh(self.api, seeded.accounts, args.duration + 120, args.seed_concurrency)
        log(f"  mix {args.mix_workers} workers, {args.duration} s")
        samples, seconds = await mixed_load(
            args.url, MixRequests(seeded), workers=args.mix_workers, seconds=args.duration, seed=args.seed
        )
        self.mix = mix_rows(MIX, samples, seconds)


class MixRequests:
    """The requests of the mix: an operation drawn by weight, as a random seeded account."""

    def __init__(self, seeded: Seeded, operations: Sequence[Operation] = MIX) -> None:
        self.accounts = seeded.accounts
        self.operations = operations
        self.cumulative = cumulative_weights(operations)
        self.following: list[list[int]] = [[] for _ in seeded.accounts]
        for follower, followee in seeded.plan.follows:
            self.following[follower].append(followee)

    def next(self, rng: random.Random) -> tuple[int, str, str, dict[str, str], bytes]:
        """The operation's index, then the method, target, headers and body of a request."""
        operation = pick(rng, self.cumulative)
        user = rng.randrange(len(self.accounts))
        headers = {"Authorization": f"Bearer {self.accounts[user].access_token}"}
        name = self.operations[operation].name
        if name == "feed":
            return operation, "GET", f"{API}/feed?limit=20", headers, b""
        if name == "wall":
            # Mostly the walls of accounts one follows (so popular ones most), sometimes anyone's.
            followed = self.following[user]
            other = (
                rng.choice(followed) if followed and rng.random() < 0.8 else rng.randrange(len(self.accounts))
            )
            return (
                operation,
                "GET",
                f"{API}/users/{self.accounts[other].username}/posts?limit=20",
                headers,
                b"",
            )
        headers["Content-Type"] = "application/json"
        body = json.dumps({"text": post_text(rng), "visibility": "public"}).encode()
        return operation, "POST", f"{API}/posts", headers, body


async def mixed_load(
    url: str, requests: MixRequests, *, workers: int, seconds: float, seed: int
) -> tuple[Samples, float]:
    """``workers`` closed-loop workers (each sends its next request once the last is answered) for
    ``seconds``; the latencies and errors per operation, and the seconds it ran."""
    host, _, port = url.removeprefix("http://").partition(":")
    samples = Samples.empty(len(requests.operations))
    started = time.perf_counter()
    deadline = started + seconds

    async def work(number: int) -> None:
        rng = random.Random(f"{seed}:mix:{number}")  # noqa: S311 - load, not secrets
        connection = Connection(host, int(port or 80))
        try:
            while time.perf_counter() < deadline:
                operation, method, target, headers, body = requests.next(rng)
                sent = time.perf_counter()
                try:
                    async with asyncio.timeout(MIX_TIMEOUT_SECONDS):
                        status, _ = await connection.request(method, target, headers, body)
                except (OSError, asyncio.IncompleteReadError, ValueError):  # TimeoutError is an OSError
                    status = 0  # counted as an error; the next request opens a new connection
                samples.latencies[operation].append((time.perf_counter() - sent) * 1000)
                samples.errors[operation] += not 200 <= status < 300
        finally:
            connection.close()

    await asyncio.gather(*(work(number) for number in range(workers)))
    return samples, time.perf_counter() - started


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
        return run


# ---- command line -------------------------------------------------------------------------------------


def _connection_levels(text: str) -> list[int]:
    return [at_least(1)(level) for level in text.split(",")]


# The seeder's defaults, without comments, likes and views: they cost seeding time and barely change
# what the reads cost. `just seed` with the same --seed makes the same accounts, graph and posts.
BENCH_DEFAULTS = SeedConfig(comments=0, likes=0, views=0)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="just bench", description=__doc__, formatter_class=HelpFormatter)
    option = parser.add_argument
    option("--url", type=loopback_url, default="http://127.0.0.1:8000", help="the gateway")
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
    option("--mix-workers", type=at_least(1), default=16, metavar="N", help="closed-loop workers of the mix")
    option("--skip", action="append", choices=PARTS, default=[], help="leave a part out (repeatable)")
    option("--seed-concurrency", type=at_least(1), default=16, metavar="N", help="seeding requests at once")
    args = parser.parse_args(argv)
    if args.feed_authors > 5000:
        parser.error("--feed-authors: an account may follow at most 5000 accounts")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if {"reads", "target"} - set(args.skip) and shutil.which("wrk") is None:
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
    failed = [
        f"{row.endpoint} at {row.connections} connections" for row in run.rows if row.result.errors_dominate
    ]
    failed += [f"the mix's {row.label}" for row in run.mix if row.errors_dominate]
    for what in failed:
        print(f"bench: errors dominate {what}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
