"""The admin panel as one router for the app: its pages, its stylesheet, its dependencies (the staff
member and the services bound to them) and its error pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Request, Response, Router
from litestar.datastructures import CacheControlHeader, State
from litestar.di import NamedDependency, Provide
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from gateway.auth.service import Principal
from gateway.clients.posts import PostsClient
from gateway.http.dependencies import provide_posts_client, services_of
from gateway.moderation.service import Moderation
from gateway.panel.controllers import DashboardController, SignInController
from gateway.panel.reports import ReportsController
from gateway.panel.session import PanelConfig, Refused, SignInRequired, staff_of
from gateway.panel.users import UsersController
from gateway.reports.service import Reports
from servicekit.database import Database

HERE = Path(__file__).parent
TEMPLATES = TemplateConfig(directory=HERE / "templates", engine=JinjaTemplateEngine)


def _posts_client(
    request: Request[Any, Any, Any], state: State, staff: NamedDependency[Principal]
) -> PostsClient:
    """The posts service on behalf of the signed-in staff member (who may read hidden content)."""
    return provide_posts_client(request, state, staff)


def _moderation(
    database: NamedDependency[Database],
    posts_client: NamedDependency[PostsClient],
    staff: NamedDependency[Principal],
) -> Moderation:
    return Moderation(database, posts_client, staff.account)


def _reports(
    database: NamedDependency[Database], posts_client: NamedDependency[PostsClient], state: State
) -> Reports:
    return Reports(database, posts_client, services_of(state).accounts)


def _sign_in(_: Request[Any, Any, Any], __: SignInRequired) -> Response[Any]:
    return Redirect("/admin/login", status_code=303)


def _refused(_: Request[Any, Any, Any], error: Refused) -> Response[Any]:
    return Template("refused.html", status_code=error.status_code, context={"message": error.message})


def panel_router(config: PanelConfig) -> Router:
    """``/admin``: pages for staff, left out of the OpenAPI document (they are not the API)."""
    return Router(
        "/admin",
        route_handlers=[
            SignInController,
            DashboardController,
            UsersController,
            ReportsController,
            create_static_files_router("/static", directories=[HERE / "static"], include_in_schema=False),
        ],
        include_in_schema=False,
        cache_control=CacheControlHeader(no_store=True),
        dependencies={
            "panel_config": Provide(lambda: config, use_cache=True, sync_to_thread=False),
            "staff": Provide(staff_of),
            "posts_client": Provide(_posts_client, sync_to_thread=False),
            "moderation": Provide(_moderation, sync_to_thread=False),
            "reports": Provide(_reports, sync_to_thread=False),
        },
        exception_handlers={SignInRequired: _sign_in, Refused: _refused},
    )
