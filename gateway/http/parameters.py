"""Query and header parameters shared by the routes of several domains."""

from __future__ import annotations

from typing import Annotated

from litestar.params import HeaderParameter, QueryParameter

Limit = Annotated[int, QueryParameter(ge=1, le=100, description="Items per page, 1–100.")]
Cursor = Annotated[
    str | None, QueryParameter(description="`next_cursor` of the previous page; omit for the first.")
]
IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="1–200 printable ASCII characters, no spaces. Repeats with the same key within 24 h "
        "return the first post instead of making another.",
    ),
]
