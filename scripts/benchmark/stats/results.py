"""The rows ``just bench-stats`` measures, and the table it prints of them."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from scripts.benchmark.report import table


@dataclasses.dataclass(frozen=True)
class Row:
    """One line of the report."""

    what: str
    result: str
    target: str = ""


def markdown_table(rows: Sequence[Row]) -> str:
    """One line per measurement: what, the result, and the target it has (if any)."""
    return table(["Measurement", "Result", "Target"], ([row.what, row.result, row.target] for row in rows))
