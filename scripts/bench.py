"""Benchmark the read paths of a running Flock through its public REST API (``just bench``).

Start the system first (``uv run just up``). The benchmark then

1. seeds it through the API: a few users (each registering and logging in from its own
   ``X-Forwarded-For`` address in 2001:db8::/32, so the per-address login limit is never hit) and
   ``--posts`` public posts, created concurrently;
2. drives ``GET /api/v1/posts/{id}`` (random seeded ids; anonymous and signed in) and
   ``GET /api/v1/users/{username}/posts?limit=20`` with wrk, at each ``--connections`` level for
   ``--duration`` seconds;
3. prints a Markdown table: requests/s, p50 and p99 latency, non-2xx responses and socket errors.

It exits with 2 if the system is not up or wrk is missing, and 1 if seeding fails or errors dominate a
run. wrk shares the machine with the system it measures: compare runs on the same machine only.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import ipaddress
import math
import os
import re
import secrets
import shutil
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx

API = "/api/v1"
WRK_INSTALL = "sudo apt-get install -y wrk  (Debian/Ubuntu; `just bench` installs it when run as root)"
# One random path per request, from the file named by the first script argument (one path per line).
# Each wrk thread runs this in a Lua state of its own; setup() gives each a different random seed.
LUA_SCRIPT = """
local paths = {}
function setup(thread)
  threads = (threads or 0) + 1
  thread:set("seed", threads)
end
function init(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  math.randomseed(os.time() * 64 + seed)
end
function request()
  return wrk.format(nil, paths[math.random(#paths)])
end
"""
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


class BenchError(Exception):
    """The benchmark cannot go on; the message says why."""


class NotUp(BenchError):
    """Flock is not running (or not ready) at the URL."""


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


def markdown_table(rows: Sequence[Row]) -> str:
    """One line per endpoint and connection count."""
    lines = [
        "| Endpoint | Connections | Requests/s | p50 ms | p99 ms | Non-2xx | Socket errors |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    for row in rows:
        result = row.result
        p50, p99 = ("–" if math.isnan(ms) else f"{ms:.2f}" for ms in (result.p50_ms, result.p99_ms))
        lines.append(
            f"| {row.endpoint} | {row.connections} | {result.requests_per_second:,.0f} | {p50} | {p99} | "
            f"{result.non_2xx} | {result.socket_errors} |"
        )
    return "\n".join(lines)


def client_address(network: int, index: int) -> str:
    """The ``index``-th address of a /48 in the documentation range 2001:db8::/32: one per seeded user
    (and login), so the per-address rate limit of register and login never trips."""
    return str(ipaddress.IPv6Address(f"2001:db8:{network:x}::") + index + 1)


# ---- seeding through the API --------------------------------------------------------------------------


@dataclasses.dataclass
class Seeded:
    """What :func:`seed` created."""

    usernames: list[str]
    password: str
    post_ids: list[str] = dataclasses.field(default_factory=list)
    network: int = dataclasses.field(default_factory=lambda: secrets.randbelow(0x10000))
    addresses_used: int = 0
    posting_seconds: float = math.nan

    def new_address(self) -> str:
        self.addresses_used += 1
        return client_address(self.network, self.addresses_used)


async def check_up(client: httpx.AsyncClient) -> None:
    """Fail clearly unless the gateway answers, is ready and serves the posts API."""
    try:
        ready = await client.get("/health/ready")
        spec = await client.get("/docs/openapi.json")
    except httpx.TransportError as error:
        raise NotUp(f"Flock is not reachable at {client.base_url} ({error})") from None
    if ready.status_code != 200:
        raise NotUp(f"Flock at {client.base_url} is not ready: {ready.status_code} {ready.text}")
    if f"{API}/posts" not in spec.json().get("paths", {}):
        raise BenchError(f"the gateway at {client.base_url} has no {API}/posts endpoint: is it up to date?")


async def login(client: httpx.AsyncClient, seeded: Seeded, username: str, address: str) -> str:
    """An access token for ``username``, logging in from ``address``."""
    body = {"username": username, "password": seeded.password}
    response = await client.post(f"{API}/auth/login", json=body, headers={"X-Forwarded-For": address})
    _expect(response, 200, f"log in as {username}")
    return str(response.json()["access_token"])


async def seed(client: httpx.AsyncClient, *, users: int, posts: int, concurrency: int) -> Seeded:
    """Register ``users`` users, then create ``posts`` public posts among them, ``concurrency`` at a time."""
    run = secrets.token_hex(3)  # fresh names on every run, so runs on the same data do not collide
    seeded = Seeded([f"bench_{run}_{index}" for index in range(users)], secrets.token_urlsafe(16))
    tokens = []
    for username in seeded.usernames:
        # Register and log in from an address of the user's own: two requests against a budget of 10.
        address = seeded.new_address()
        body = {"username": username, "email": f"{username}@example.org", "password": seeded.password}
        response = await client.post(f"{API}/auth/register", json=body, headers={"X-Forwarded-For": address})
        _expect(response, 201, f"register {username}")
        tokens.append(await login(client, seeded, username, address))

    limit = asyncio.Semaphore(concurrency)

    async def create(number: int) -> str:
        body = {"text": f"Benchmark post {number} of run {run}.", "visibility": "public"}
        async with limit:
            headers = {"Authorization": f"Bearer {tokens[number % users]}"}
            response = await client.post(f"{API}/posts", json=body, headers=headers)
        _expect(response, 201, "create a post")
        return str(response.json()["id"])

    started = time.perf_counter()
    results = await asyncio.gather(*(create(number) for number in range(posts)), return_exceptions=True)
    failures = [result for result in results if isinstance(result, BaseException)]
    if failures:
        raise BenchError(f"{len(failures)} of {posts} posts failed; the first: {failures[0]}")
    seeded.post_ids = [result for result in results if isinstance(result, str)]
    seeded.posting_seconds = time.perf_counter() - started
    return seeded


def _expect(response: httpx.Response, status: int, action: str) -> None:
    if response.status_code != status:
        raise BenchError(f"could not {action}: {response.status_code} {response.text}")


# ---- load generation ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Workload:
    """An endpoint to measure: wrk requests random paths from ``paths``."""

    label: str
    paths: Path
    signed_in: bool = False


def write_workloads(folder: Path, seeded: Seeded) -> list[Workload]:
    """The Lua script and one path list per endpoint, written to ``folder``."""
    (folder / "paths.lua").write_text(LUA_SCRIPT)
    posts, users = folder / "posts.txt", folder / "users.txt"
    posts.write_text("".join(f"{API}/posts/{post_id}\n" for post_id in seeded.post_ids))
    users.write_text("".join(f"{API}/users/{name}/posts?limit=20\n" for name in seeded.usernames))
    return [
        Workload("GET /posts/{id}", posts),
        Workload("GET /posts/{id} (signed in)", posts, signed_in=True),
        Workload("GET /users/{username}/posts?limit=20", users),
    ]


async def run_wrk(url: str, paths: Path, *, connections: int, seconds: int, token: str | None) -> WrkResult:
    """One wrk run requesting random paths from ``paths`` (next to the Lua script)."""
    threads = min(2, connections, os.cpu_count() or 1)  # wrk shares the (2-core) machine with Flock
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    if token:
        command += ["-H", f"Authorization: Bearer {token}"]
    command += ["-s", str(paths.parent / "paths.lua"), url, "--", str(paths)]
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    output = (await process.communicate())[0].decode()
    if process.returncode != 0:
        raise BenchError(f"wrk failed ({process.returncode}):\n{output}")
    return parse_wrk(output)


async def bench(args: argparse.Namespace, folder: Path) -> list[Row]:
    """Seed, then measure every workload at every connection count."""
    async with httpx.AsyncClient(base_url=args.url, timeout=30) as client:
        await check_up(client)
        print(f"Seeding {args.users} users and {args.posts} posts through {args.url}{API} …", file=sys.stderr)
        seeded = await seed(client, users=args.users, posts=args.posts, concurrency=args.seed_concurrency)
        rate = args.posts / seeded.posting_seconds
        print(f"  created the posts in {seeded.posting_seconds:.1f} s ({rate:,.0f}/s)", file=sys.stderr)

        async def measure(workload: Workload, connections: int, seconds: int) -> WrkResult:
            # A fresh token per run, so a long --duration never outlives the token's 15 minutes.
            user = seeded.usernames[0]
            token = await login(client, seeded, user, seeded.new_address()) if workload.signed_in else None
            return await run_wrk(
                args.url, workload.paths, connections=connections, seconds=seconds, token=token
            )

        rows = []
        for workload in write_workloads(folder, seeded):
            if args.warmup > 0:  # unmeasured: fills connection pools and caches before the first level
                await measure(workload, max(args.connections), args.warmup)
            for connections in args.connections:
                print(f"  {workload.label}, connections: {connections}, {args.duration} s", file=sys.stderr)
                rows.append(
                    Row(workload.label, connections, await measure(workload, connections, args.duration))
                )
        return rows


# ---- command line -------------------------------------------------------------------------------------


def _at_least(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        if int(text) < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {text}")
        return int(text)

    return parse


def _connection_levels(text: str) -> list[int]:
    return [_at_least(1)(level) for level in text.split(",")]


def _loopback_url(text: str) -> str:
    url = urllib.parse.urlsplit(text)
    if url.scheme != "http" or url.hostname != "127.0.0.1" or url.path not in {"", "/"}:
        raise argparse.ArgumentTypeError(f"expected http://127.0.0.1:PORT (a local Flock), got {text!r}")
    return f"http://127.0.0.1:{url.port or 80}"


class _Help(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    pass


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="just bench", description=__doc__, formatter_class=_Help)
    option = parser.add_argument
    option("--url", type=_loopback_url, default="http://127.0.0.1:8000", help="the gateway")
    option("--posts", type=_at_least(1), default=2000, metavar="N", help="posts to create")
    option("--users", type=_at_least(1), default=4, metavar="N", help="users to create")
    option(
        "--connections", type=_connection_levels, default="1,16,64", metavar="N,N,…", help="wrk connections"
    )
    option("--duration", type=_at_least(1), default=10, metavar="SECONDS", help="seconds per run")
    option(
        "--warmup", type=_at_least(0), default=2, metavar="SECONDS", help="unmeasured seconds per endpoint"
    )
    option("--seed-concurrency", type=_at_least(1), default=32, metavar="N", help="posts created at once")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        print(f"bench: wrk is not installed; install it with:\n  {WRK_INSTALL}", file=sys.stderr)
        return 2
    try:
        with tempfile.TemporaryDirectory(prefix="flock-bench-") as folder:
            rows = asyncio.run(bench(args, Path(folder)))
    except NotUp as error:
        print(f"bench: {error}\nStart the system first: uv run just up", file=sys.stderr)
        return 2
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    print(
        f"\nFlock at {args.url}: {args.posts} posts, {args.users} users, {args.duration} s per run, "
        f"wrk with up to 2 threads, {os.cpu_count()} CPUs shared with the system under test.\n"
    )
    print(markdown_table(rows))
    failed = [row for row in rows if row.result.errors_dominate]
    for row in failed:
        print(f"bench: errors dominate {row.endpoint} at {row.connections} connections", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
