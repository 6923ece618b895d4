"""The gateway's Litestar application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Request, Router
from litestar.config.cors import CORSConfig

from gateway import __version__
from gateway.account_mail.controllers import AccountMailController, MailController
from gateway.account_mail.pages import account_mail_pages
from gateway.auth.controllers import AuthController
from gateway.blocks.controllers import BlocksController, MyBlocksController
from gateway.graph.controllers import FollowsController, MyGraphController
from gateway.health import HealthController, ProblemsController
from gateway.http.body import check_body
from gateway.http.contract import document_problems
from gateway.http.dependencies import DEPENDENCIES, services_of
from gateway.http.docs import docs_assets_router, openapi_config
from gateway.http.errors import EXCEPTION_HANDLERS
from gateway.http.headers import response_headers_middleware
from gateway.http.query import refuse_unknown_query
from gateway.http.request_id import request_id_middleware
from gateway.moderation.controllers import AdminAuditController, AdminContentController, AdminUsersController
from gateway.notifications.controllers import NotificationsController
from gateway.panel.router import TEMPLATES, panel_router
from gateway.panel.session import PanelConfig
from gateway.posts.controllers import FeedController, PostsController, WallsController
from gateway.reports.controllers import AdminReportsController, ReportsController
from gateway.search.controllers import SearchController
from gateway.services import Services, open_services
from gateway.settings import GatewaySettings, settings_from_environment
from gateway.stats.controllers import MyStatsController, PostStatsController, RankingsController
from gateway.users.controllers import UsersController

API_PREFIX = "/api/v1"
MAX_BODY_BYTES = 64 * 1024
API_CONTROLLERS = [
    AuthController,
    AccountMailController,
    MailController,
    UsersController,
    MyGraphController,
    FollowsController,
    MyBlocksController,
    BlocksController,
    PostsController,
    WallsController,
    FeedController,
    PostStatsController,
    RankingsController,
    MyStatsController,
    SearchController,
    NotificationsController,
    ReportsController,
    AdminUsersController,
    AdminContentController,
    AdminReportsController,
    AdminAuditController,
]


async def before_request(request: Request[Any, Any, Any]) -> None:
    if request.url.path.startswith(API_PREFIX):
        refuse_unknown_query(request)
    await check_body(request)
    await services_of(request.app.state).rate_limiter.before_request(request)


def cors_config(origins: list[str]) -> CORSConfig:
    """Browsers on ``origins`` may call the API with a bearer token (no cookies: nothing to forge)."""
    return CORSConfig(
        allow_origins=origins,
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "X-Request-ID"],
        expose_headers=[
            "Location",
            "Retry-After",
            "X-Request-ID",
            "Idempotent-Replayed",
            "RateLimit-Limit",
            "RateLimit-Remaining",
            "RateLimit-Reset",
        ],
        allow_credentials=False,
        max_age=600,
    )


def create_app(settings: GatewaySettings | None = None, services: Services | None = None) -> Litestar:
    """Build the gateway for ``settings`` (by default, read from the environment). Without
    ``services``, the app opens its own (database pool, channels, view publisher) for its lifespan;
    with them, it uses them as they are, and whoever made them closes them."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        if services is not None:
            app.state.services = services
            yield
            return
        async with open_services(settings or settings_from_environment()) as opened:
            app.state.services = opened
            yield

    if services is None and settings is None:
        settings = settings_from_environment()  # a bad setting stops the process before it serves
    origins = settings.cors_allowed_origins if settings else []
    panel = (
        PanelConfig(cookie_secure=settings.admin_cookie_secure, session_ttl=settings.admin_session_ttl)
        if settings
        else PanelConfig()
    )
    app = Litestar(
        route_handlers=[
            Router(API_PREFIX, route_handlers=API_CONTROLLERS),
            HealthController,
            ProblemsController,
            docs_assets_router(),
            panel_router(panel),
            account_mail_pages(),
        ],
        template_config=TEMPLATES,
        lifespan=[lifespan],
        dependencies=DEPENDENCIES,
        before_request=before_request,
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[request_id_middleware, response_headers_middleware],
        cors_config=cors_config(origins) if origins else None,
        openapi_config=openapi_config(__version__),
        request_max_body_size=MAX_BODY_BYTES,
        # The process configures logging (gateway/__main__.py); building an app must not.
        logging_config=None,
    )
    document_problems(app, API_PREFIX)
    return app
