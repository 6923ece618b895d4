"""The mixed workload, DeathStarBench-like: closed-loop workers, each sending its next request when the
last is answered, 60 % home feeds, 30 % walls, 10 % new posts, each as a random seeded account."""

from __future__ import annotations

import asyncio
import bisect
import dataclasses
import itertools
import json
import random
import time
from collections.abc import Sequence

from scripts.benchmark.load.client import Connection
from scripts.seeding import API, Seeded
from scripts.seeding.words import post_text

MIX_TIMEOUT_SECONDS = 5.0  # as wrk's --timeout


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


@dataclasses.dataclass
class Samples:
    """Latencies (ms) and errors of the mix, by operation index."""

    latencies: list[list[float]]
    errors: list[int]

    @classmethod
    def empty(cls, operations: int) -> Samples:
        return cls([[] for _ in range(operations)], [0] * operations)


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
