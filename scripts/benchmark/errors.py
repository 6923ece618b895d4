"""The benchmark's error: raised where it cannot go on, reported by ``scripts/bench.py`` (exit 1)."""

from __future__ import annotations


class BenchError(Exception):
    """The benchmark cannot go on; the message says why."""
