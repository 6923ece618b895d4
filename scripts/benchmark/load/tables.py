"""What ``just bench`` prints: the rows of the wrk runs (per endpoint and connection level) and of the
mix (per operation), as tables through :mod:`scripts.benchmark.report`."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from scripts.benchmark.load.mix import Operation, Samples
from scripts.benchmark.load.wrk import WrkResult
from scripts.benchmark.report import milliseconds, percentile, table


@dataclasses.dataclass(frozen=True)
class Row:
    """One wrk run: an endpoint at a connection level."""

    endpoint: str
    connections: int
    result: WrkResult


def markdown_table(rows: Sequence[Row]) -> str:
    """One line per endpoint and connection count."""
    headers = ["Endpoint", "Connections", "Requests/s", "p50 ms", "p99 ms", "Non-2xx", "Socket errors"]
    return table(
        headers,
        (
            [
                row.endpoint,
                str(row.connections),
                f"{row.result.requests_per_second:,.0f}",
                milliseconds(row.result.p50_ms),
                milliseconds(row.result.p99_ms),
                str(row.result.non_2xx),
                str(row.result.socket_errors),
            ]
            for row in rows
        ),
        numbers_from=1,
    )


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
        """Whether nothing was answered, or errors were most of it: the run measured failures."""
        return self.requests == 0 or self.errors * 2 > self.requests


def mix_rows(operations: Sequence[Operation], samples: Samples, seconds: float) -> list[MixRow]:
    """A row per operation and one for all: answered requests (errors included), rate, percentiles."""
    total_weight = sum(operation.weight for operation in operations)

    def row(label: str, share: float, latencies: list[float], errors: int) -> MixRow:
        rate = len(latencies) / seconds if seconds > 0 else 0.0
        p50, p99 = percentile(latencies, 0.50), percentile(latencies, 0.99)
        return MixRow(label, share, len(latencies), errors, rate, p50, p99)

    rows = [
        row(operation.label, 100 * operation.weight / total_weight, latencies, errors)
        for operation, latencies, errors in zip(operations, samples.latencies, samples.errors, strict=True)
    ]
    rows.append(row("all", 100.0, [ms for group in samples.latencies for ms in group], sum(samples.errors)))
    return rows


def mix_table(rows: Sequence[MixRow]) -> str:
    """One line per operation of the mix, and one for all of them."""
    headers = ["Operation", "Share", "Requests", "Requests/s", "p50 ms", "p99 ms", "Errors"]
    return table(
        headers,
        (
            [
                row.label,
                f"{row.share:.0f} %",
                f"{row.requests:,}",
                f"{row.requests_per_second:,.0f}",
                milliseconds(row.p50_ms),
                milliseconds(row.p99_ms),
                str(row.errors),
            ]
            for row in rows
        ),
        numbers_from=1,
    )
