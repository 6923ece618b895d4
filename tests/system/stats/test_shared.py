"""Shared results (rankings): computed once per time-to-live, shared by the callers meanwhile."""

from __future__ import annotations

import asyncio
import time

import pytest

from stats.clickhouse import DeadlineExceeded
from stats.shared import Shared


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Work:
    """Counts its runs; each takes ``seconds`` and returns the run's number (or raises)."""

    def __init__(self, seconds: float = 0.0, fails: bool = False) -> None:
        self.runs, self.seconds, self.fails = 0, seconds, fails
        self.deadline: float | None = None

    async def __call__(self, deadline: float | None) -> int:
        self.runs += 1
        self.deadline = deadline
        await asyncio.sleep(self.seconds)
        if self.fails:
            raise ConnectionError("ClickHouse is away")
        return self.runs


def test_callers_within_the_time_to_live_share_one_computation() -> None:
    async def scenario() -> None:
        clock, work = Clock(), Work(seconds=0.01)
        shared: Shared[str, int] = Shared(1.0, clock)
        together = await asyncio.gather(*(shared.get("top", work, time.monotonic() + 5) for _ in range(5)))
        assert (together, work.runs, work.deadline) == ([1] * 5, 1, None)  # shared: no one's deadline
        clock.now += 0.9
        assert await shared.get("top", work, None) == 1
        assert await shared.get("other", work, None) == 2  # another key, another result
        clock.now += 0.2
        assert await shared.get("top", work, None) == 3  # expired: computed again

    asyncio.run(scenario())


def test_a_failure_is_not_kept() -> None:
    async def scenario() -> None:
        work = Work(fails=True)
        shared: Shared[str, int] = Shared(60.0, Clock())
        for _ in range(2):
            with pytest.raises(ConnectionError):
                await shared.get("top", work, None)
        assert work.runs == 2

    asyncio.run(scenario())


def test_without_a_time_to_live_every_call_computes_within_its_own_deadline() -> None:
    async def scenario() -> None:
        work = Work()
        shared: Shared[str, int] = Shared(0.0)
        assert [await shared.get("top", work, 123.0) for _ in range(3)] == [1, 2, 3]
        assert work.deadline == 123.0

    asyncio.run(scenario())


def test_a_caller_whose_deadline_passes_gives_up_and_the_others_still_get_the_result() -> None:
    async def scenario() -> None:
        work = Work(seconds=0.2)
        shared: Shared[str, int] = Shared(1.0)
        patient = asyncio.ensure_future(shared.get("top", work, None))
        with pytest.raises(DeadlineExceeded):
            await shared.get("top", work, time.monotonic() + 0.01)
        assert await patient == 1
        assert work.runs == 1

    asyncio.run(scenario())
