"""A missing required parameter is reported under its public name, like any other invalid input."""

from __future__ import annotations

from typing import Annotated

from litestar import Litestar, get
from litestar.params import HeaderParameter, QueryParameter
from litestar.testing import TestClient

from gateway.http.errors import EXCEPTION_HANDLERS


@get("/things")
async def things(
    q: Annotated[str, QueryParameter()], tag: Annotated[str, HeaderParameter(name="X-Tag")]
) -> str:
    return q + tag


def test_the_missing_parameter_is_named_in_errors() -> None:
    with TestClient(Litestar([things], exception_handlers=EXCEPTION_HANDLERS)) as client:
        no_header = client.get("/things", params={"q": "x"})
        no_query = client.get("/things", headers={"X-Tag": "t"})

    assert no_header.status_code == no_query.status_code == 422
    assert no_header.json()["errors"] == [{"field": "X-Tag", "message": "This header parameter is required."}]
    assert no_query.json()["errors"] == [{"field": "q", "message": "This query parameter is required."}]
    assert "/things" not in no_query.text
