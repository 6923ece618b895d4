"""Results computed once and shared for a moment: a ranking is the same for every caller, costs a scan
of its whole period, and hardly changes within a second. The first caller starts the work; callers
meanwhile, and for ``ttl`` seconds after it is done, get the same result. A failure is not kept.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import math
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

from stats.clickhouse import DeadlineExceeded

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclasses.dataclass
class _Entry(Generic[V]):
    work: asyncio.Future[V]
    expires: float = math.inf  # while the work runs, it is shared


class Shared(Generic[K, V]):
    """Results by key, each computed at most once per ``ttl`` seconds (0: every call computes)."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._entries: dict[K, _Entry[V]] = {}

    async def get(self, key: K, compute: Callable[[float | None], Awaitable[V]], deadline: float | None) -> V:
        """The result for ``key``: shared if fresh, else from ``compute(deadline)``. The caller waits at
        most until ``deadline`` (a :func:`time.monotonic` instant); work shared with others goes on
        without one (``compute(None)``), work for this caller alone gets the caller's."""
        if self._ttl <= 0:
            return await compute(deadline)
        entry = self._entries.get(key)
        if entry is None or self._stale(entry):
            entry = _Entry(asyncio.ensure_future(compute(None)))
            entry.work.add_done_callback(functools.partial(self._done, entry))
            self._entries[key] = entry
        if deadline is None:
            return await asyncio.shield(entry.work)
        try:
            return await asyncio.wait_for(asyncio.shield(entry.work), deadline - self._clock())
        except TimeoutError:
            raise DeadlineExceeded from None

    def _stale(self, entry: _Entry[V]) -> bool:
        if not entry.work.done():
            return False
        return entry.work.cancelled() or entry.work.exception() is not None or entry.expires <= self._clock()

    def _done(self, entry: _Entry[V], _: asyncio.Future[V]) -> None:
        entry.expires = self._clock() + self._ttl
        if not entry.work.cancelled():
            entry.work.exception()  # its waiters got it; asyncio need not warn that nobody did
