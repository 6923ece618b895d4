"""What every benchmark prints, in one shape: nearest-rank percentiles of its samples and Markdown
tables of its measurements."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence


def percentile(samples: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of ``samples`` (``fraction`` 0.5 for p50), NaN if there are none."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def milliseconds(value: float) -> str:
    """A duration in milliseconds, two decimals; a dash when there is none (NaN)."""
    return "–" if math.isnan(value) else f"{value:.2f}"


def latency(samples: Sequence[float]) -> str:
    """``p50 … ms / p99 … ms``, from samples in seconds."""
    p50, p99 = (percentile(samples, fraction) * 1000 for fraction in (0.50, 0.99))
    return f"p50 {p50:.1f} ms / p99 {p99:.1f} ms"


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], *, numbers_from: int | None = None) -> str:
    """A Markdown table; the columns from ``numbers_from`` on are right-aligned (they hold numbers)."""
    numeric = len(headers) if numbers_from is None else numbers_from
    rule = ["---" if column < numeric else "--:" for column in range(len(headers))]
    lines = [f"| {' | '.join(headers)} |", f"|{'|'.join(rule)}|"]
    lines += [f"| {' | '.join(row)} |" for row in rows]
    return "\n".join(lines)
