"""The benchmark's error: raised where it cannot go on, reported by the benchmark's command line (exit 1)."""

from __future__ import annotations


class BenchError(Exception):
    """The benchmark cannot go on; the message says why."""
