"""What ``just bench`` prints: nearest-rank percentiles of the mix's samples, and the Markdown tables of
the wrk runs (per endpoint and connection level) and of the mix (per operation)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

from scripts.benchmark.mix import Operation, Samples
from scripts.benchmark.wrk import WrkResult


@dataclasses.dataclass(frozen=True)
class Row:
    """One line of the report."""

    endpoint: str
    connections: int
    result: WrkResult


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


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of sorted values (``fraction`` 0.5 for p50), NaN if there are none."""
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


@dataclasses.dataclass(frozen=True)
class MixRow:
    """One operation of the mix, or all of them (``label`` "all")."""

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
