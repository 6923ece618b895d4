"""What handlers get by name: the process's services, the caller, and the clients bound to the request.

Registered once on the app (:data:`DEPENDENCIES`); Litestar resolves for each handler only what it
asks for. A domain's own service is provided by its controllers module, from these.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide

from gateway.account_mail.service import AccountMail
from gateway.auth.service import NotAuthenticated, Principal, Sessions
from gateway.clients.posts import Caller, PostsClient
from gateway.clients.stats import StatsClient
from gateway.graph.service import Graph
from gateway.http.request_id import request_id_of
from gateway.moderation.service import Moderation
from gateway.services import Services
from gateway.users.service import Accounts
from gateway.view_events import ViewPublisher
from servicekit.database import Database

_PRINCIPAL = "principal"


def services_of(state: State) -> Services:
    services: Services = state.services
    return services


async def authenticate(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """The caller of ``connection`` (once per request); :class:`NotAuthenticated` when the bearer token
    is missing or no longer valid."""
    cached = connection.state.get(_PRINCIPAL)
    if isinstance(cached, Principal):
        return cached
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated()
    principal = await services_of(connection.app.state).sessions.authenticate(token.strip())
    connection.state[_PRINCIPAL] = principal
    return principal


async def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    """The authenticated caller; 401 when the bearer token is missing or no longer valid."""
    return await authenticate(request)


async def provide_viewer(request: Request[Any, Any, Any]) -> Principal | None:
    """The caller if a bearer token is sent (401 if it is not valid), None for an anonymous caller."""
    if "authorization" not in request.headers:
        return None
    return await authenticate(request)


def provide_accounts(state: State) -> Accounts:
    return services_of(state).accounts


def provide_sessions(state: State) -> Sessions:
    return services_of(state).sessions


def provide_graph(state: State) -> Graph:
    return services_of(state).graph


def provide_views(state: State) -> ViewPublisher:
    return services_of(state).views


def provide_account_mail(state: State) -> AccountMail:
    account_mail = services_of(state).account_mail
    if account_mail is None:
        raise RuntimeError("these services send no account mail")
    return account_mail


def provide_database(state: State) -> Database:
    database = services_of(state).database
    if database is None:
        raise RuntimeError("these services have no database")
    return database


def provide_posts_client(
    request: Request[Any, Any, Any], state: State, viewer: NamedDependency[Principal | None]
) -> PostsClient:
    """The posts service, called on behalf of whoever is asking (possibly nobody), with the accounts
    they follow read from the graph when a call needs them."""
    services = services_of(state)
    if viewer is None:
        caller = Caller(user_id=None)
    else:
        graph, user_id = services.graph, viewer.account.id

        async def following(among: Sequence[uuid.UUID] | None = None) -> list[uuid.UUID]:
            return await graph.following_ids(user_id, among)

        caller = Caller(user_id=user_id, role=viewer.account.role, following=following)
    return services.posts.for_request(request_id_of(request), caller)


def provide_moderation(
    database: NamedDependency[Database],
    posts_client: NamedDependency[PostsClient],
    principal: NamedDependency[Principal],
) -> Moderation:
    """Staff actions on behalf of the caller (the admin API's guards check their role first)."""
    return Moderation(database, posts_client, principal.account)


def provide_stats_client(request: Request[Any, Any, Any], state: State) -> StatsClient:
    return services_of(state).stats.for_request(request_id_of(request))


DEPENDENCIES = {
    "principal": Provide(provide_principal),
    "viewer": Provide(provide_viewer),
    "accounts": Provide(provide_accounts, sync_to_thread=False),
    "sessions": Provide(provide_sessions, sync_to_thread=False),
    "graph": Provide(provide_graph, sync_to_thread=False),
    "views": Provide(provide_views, sync_to_thread=False),
    "database": Provide(provide_database, sync_to_thread=False),
    "account_mail": Provide(provide_account_mail, sync_to_thread=False),
    "posts_client": Provide(provide_posts_client, sync_to_thread=False),
    "stats_client": Provide(provide_stats_client, sync_to_thread=False),
    "moderation": Provide(provide_moderation, sync_to_thread=False),
}
