"""Who is calling: the ``principal`` dependency for routes that need a logged-in user."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency

from gateway.auth.service import NotAuthenticated, Principal, Sessions

BEARER_SCHEME = "BearerToken"
SECURITY: list[dict[str, list[str]]] = [
    {BEARER_SCHEME: []}
]  # for routes that require a token, in the OpenAPI document


def provide_sessions(state: State) -> Sessions:
    return state.sessions  # type: ignore[no-any-return]


async def provide_viewer(
    request: Request[Any, Any, Any], sessions: NamedDependency[Sessions]
) -> Principal | None:
    """The caller if a bearer token is sent (401 if it is not valid), None for an anonymous caller."""
    if "authorization" not in request.headers:
        return None
    return await provide_principal(request, sessions)


async def provide_principal(
    request: Request[Any, Any, Any], sessions: NamedDependency[Sessions]
) -> Principal:
    """The authenticated caller; 401 when the bearer token is missing or no longer valid."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated()
    return await sessions.authenticate(token.strip())
