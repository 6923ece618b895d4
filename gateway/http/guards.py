"""Guards: checks that run before a handler and its dependencies."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from gateway.http.dependencies import authenticate

BEARER_SCHEME = "BearerToken"
# For routes that require a token, in the OpenAPI document.
SECURITY: list[dict[str, list[str]]] = [{BEARER_SCHEME: []}]


async def signed_in(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """401 unless the request carries a valid access token; the caller is kept for ``principal``.
    ``OPTIONS`` (what a route allows, and CORS preflights) needs no token."""
    if connection.scope.get("method") == "OPTIONS":
        return
    await authenticate(connection)
