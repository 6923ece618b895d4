"""Dependencies for post routes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency

from gateway.auth.service import Principal
from gateway.clients import Caller, PostsClient
from gateway.graph.service import Graph
from gateway.request_id import request_id_of


def provide_posts(
    request: Request[Any, Any, Any], state: State, viewer: NamedDependency[Principal | None]
) -> PostsClient:
    """The posts service, called on behalf of whoever is asking (possibly nobody), with the accounts
    they follow read from the graph when a call needs them."""
    if viewer is None:
        caller = Caller(user_id=None)
    else:
        graph: Graph = state.graph
        user_id = viewer.account.id

        async def following(among: Sequence[uuid.UUID] | None = None) -> list[uuid.UUID]:
            return await graph.following_ids(user_id, among)

        caller = Caller(user_id=user_id, role=viewer.account.role, following=following)
    client: PostsClient = state.posts
    return client.acting_as(caller, request_id_of(request))
