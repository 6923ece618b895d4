"""The guard of writing where a deployment asks for verified addresses (``FLOCK_REQUIRE_VERIFIED_EMAIL``)."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from gateway.account_mail.service import EmailNotVerified
from gateway.http.dependencies import authenticate, services_of


async def verified_email(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """For writing posts and comments: where the settings require it, 403 ``email_not_verified``
    until the caller's address is verified (401 without a valid token); elsewhere, nothing."""
    if connection.scope.get("method") == "OPTIONS":
        return
    settings = services_of(connection.app.state).settings
    if settings is None or not settings.require_verified_email:
        return
    if not (await authenticate(connection)).account.email_verified:
        raise EmailNotVerified()


verified_email.problem_statuses = {401, 403}  # type: ignore[attr-defined]
