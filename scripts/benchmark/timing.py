"""Timing calls one at a time, after a warm-up: the latency benchmarks' measuring loop."""

from __future__ import annotations

import time
from collections.abc import Callable


def timed(call: Callable[[], object], times: int, warmup: int = 10) -> list[float]:
    """Make ``warmup`` unmeasured calls, then ``times`` measured ones; return their durations, seconds."""
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples
