"""Query and header parameters shared by the routes of several domains."""

from __future__ import annotations

from typing import Annotated

from litestar.params import HeaderParameter, PathParameter, QueryParameter

# What a cursor of ours looks like. Documented, not checked here: a cursor that is not one of ours is a
# 400 `invalid_cursor` from the list that reads it, not a 422.
CURSOR_SHAPE = {"pattern": "^[A-Za-z0-9_-]+$", "max_length": 1024}

Limit = Annotated[int, QueryParameter(ge=1, le=100, description="Items per page, 1–100.")]
Cursor = Annotated[
    str | None,
    QueryParameter(
        description="`next_cursor` of the previous page of this same list; omit for the first.",
        schema_extra=CURSOR_SHAPE,
    ),
]
# A username in a path: anything else names no account (404).
USERNAME_SHAPE = {"pattern": "^[A-Za-z0-9_]{3,30}$"}
Username = Annotated[str, PathParameter(description="The account's username.", schema_extra=USERNAME_SHAPE)]
IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="1–200 printable ASCII characters, no spaces. Repeats with the same key within 24 h "
        "return what the first request made instead of making it again; a key names one request (the "
        "same key with another body is 409 `idempotency_key_reused`).",
    ),
]
