"""The OpenAPI document and its UI, served at ``/docs`` with every asset local (works offline)."""

from __future__ import annotations

from pathlib import Path

import swagger_ui
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin, YamlRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme, Server, Tag
from litestar.static_files import create_static_files_router
from litestar.types import ControllerRouterHandler

from gateway.http.guards import BEARER_SCHEME

DOCS_PATH = "/docs"
_ASSETS_PATH = "/docs/assets"
# Swagger UI 5's files as published on PyPI by swagger-ui-py, served by the gateway itself.
_ASSETS_DIR = Path(swagger_ui.__file__).parent / "static"

DESCRIPTION = """\
Flock's public REST API. Every request and response body is JSON; every error is
`application/problem+json` (RFC 9457) with a stable `code`, and validation errors list the offending
fields in `errors`.

Authenticate with `POST /api/v1/auth/login`, then send `Authorization: Bearer <access_token>`.
Access tokens live for minutes; exchange the refresh token at `POST /api/v1/auth/refresh` for a new pair.
"""


def openapi_config(version: str) -> OpenAPIConfig:
    swagger = SwaggerRenderPlugin(
        path="/",
        js_url=f"{_ASSETS_PATH}/swagger-ui-bundle.js",
        css_url=f"{_ASSETS_PATH}/swagger-ui.css",
        standalone_preset_js_url=f"{_ASSETS_PATH}/swagger-ui-standalone-preset.js",
        favicon=f"<link rel='icon' type='image/png' href='{_ASSETS_PATH}/favicon-32x32.png'>",
    )
    return OpenAPIConfig(
        title="Flock API",
        version=version,
        description=DESCRIPTION,
        path=DOCS_PATH,
        servers=[Server(url="/")],
        render_plugins=[swagger, JsonRenderPlugin(), YamlRenderPlugin()],
        components=Components(
            security_schemes={
                BEARER_SCHEME: SecurityScheme(
                    type="http",
                    scheme="bearer",
                    bearer_format="JWT",
                    description="An access token from /auth/login.",
                )
            }
        ),
        tags=[
            Tag(name="auth", description="Accounts, logging in and out, token refresh."),
            Tag(name="users", description="Profiles."),
            Tag(name="graph", description="Following, follow requests, followers and relationships."),
            Tag(name="posts", description="Posts, comments, likes and walls."),
            Tag(name="feed", description="The home feed: my posts and those of everyone I follow."),
            Tag(name="search", description="Accounts by name, posts by their words."),
            Tag(name="stats", description="Likes, views and comments counted from the event log."),
            Tag(name="health", description="Liveness and readiness probes."),
        ],
    )


def docs_assets_router() -> ControllerRouterHandler:
    return create_static_files_router(
        path=_ASSETS_PATH, directories=[_ASSETS_DIR], include_in_schema=False, name="docs-assets"
    )
