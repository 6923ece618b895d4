"""The gateway's Litestar application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Request, Router
from litestar.datastructures import State

from gateway import __version__
from gateway.auth.controllers import AuthController
from gateway.auth.passwords import Passwords
from gateway.auth.service import Sessions
from gateway.auth.tokens import AccessTokens
from gateway.clients import PostsClient, StatsClient, open_channel
from gateway.database import bind_tables, keep_session, make_engine
from gateway.docs import docs_assets_router, openapi_config
from gateway.errors import EXCEPTION_HANDLERS, refuse_non_json_body
from gateway.graph.controllers import FollowsController, MyGraphController
from gateway.graph.service import Graph
from gateway.health import HealthController, ProblemsController
from gateway.posts.controllers import FeedController, PostsController, WallsController
from gateway.ratelimit import RateLimiter
from gateway.request_id import request_id_middleware
from gateway.search.controllers import SearchController
from gateway.settings import GatewaySettings, settings_from_environment
from gateway.stats.controllers import MyStatsController, PostStatsController, RankingsController
from gateway.users.controllers import UsersController
from gateway.users.service import Accounts
from gateway.views import ViewPublisher

API_PREFIX = "/api/v1"
MAX_BODY_BYTES = 64 * 1024


def create_app(settings: GatewaySettings | None = None) -> Litestar:
    """Build the gateway for ``settings`` (by default, read from the environment)."""
    settings = settings or settings_from_environment()
    engine = make_engine(settings.db_url)
    bind_tables(engine)
    passwords = Passwords(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_cost,
        parallelism=settings.argon2_parallelism,
    )
    rate_limiter = RateLimiter(settings.rate_limit)

    async def before_request(request: Request[Any, Any, Any]) -> None:
        refuse_non_json_body(request)
        await rate_limiter.before_request(request)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        await engine.start_connection_pool(min_size=1, max_size=settings.db_pool_size, reset=keep_session)
        # gRPC channels belong to the event loop they are made on: make them here, not at import.
        posts_channel = open_channel(settings.posts_addr)
        stats_channel = open_channel(settings.stats_addr)
        app.state.posts = PostsClient(posts_channel, settings.grpc_timeout)
        app.state.stats = StatsClient(stats_channel, settings.grpc_timeout)
        app.state.views = ViewPublisher(
            settings.kafka_bootstrap, buffer_size=settings.view_buffer, secret=settings.jwt_secret.encode()
        )
        await app.state.views.start()
        try:
            yield
        finally:
            await app.state.views.stop()
            await stats_channel.close()
            await posts_channel.close()
            await engine.close_connection_pool()

    return Litestar(
        route_handlers=[
            Router(
                API_PREFIX,
                route_handlers=[
                    AuthController,
                    UsersController,
                    MyGraphController,
                    FollowsController,
                    PostsController,
                    WallsController,
                    FeedController,
                    PostStatsController,
                    RankingsController,
                    MyStatsController,
                    SearchController,
                ],
            ),
            HealthController,
            ProblemsController,
            docs_assets_router(),
        ],
        lifespan=[lifespan],
        state=State(
            {
                "accounts": Accounts(passwords),
                "graph": Graph(),
                "sessions": Sessions(
                    passwords,
                    AccessTokens(settings.jwt_secret, settings.access_token_ttl),
                    refresh_ttl_seconds=settings.refresh_token_ttl,
                    session_max_age_seconds=settings.session_max_age,
                ),
            }
        ),
        before_request=before_request,
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[request_id_middleware],
        openapi_config=openapi_config(__version__),
        request_max_body_size=MAX_BODY_BYTES,
        # The process configures logging (gateway/__main__.py); building an app must not.
        logging_config=None,
    )
