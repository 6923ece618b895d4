"""Dependencies for post routes."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency

from gateway.auth.service import Principal
from gateway.clients import Caller, PostsClient
from gateway.request_id import request_id_of


def provide_posts(
    request: Request[Any, Any, Any], state: State, viewer: NamedDependency[Principal | None]
) -> PostsClient:
    """The posts service, called on behalf of whoever is asking (possibly nobody)."""
    caller = Caller(user_id=viewer.account.id, role=viewer.account.role) if viewer else Caller(user_id=None)
    client: PostsClient = state.posts
    return client.acting_as(caller, request_id_of(request))
