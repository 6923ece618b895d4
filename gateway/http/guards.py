"""Guards: checks that run before a handler and its dependencies."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from gateway.http.dependencies import authenticate
from gateway.users.status import STAFF, AccountSuspended
from servicekit.errors import Forbidden

BEARER_SCHEME = "BearerToken"
# For routes that require a token, in the OpenAPI document.
SECURITY: list[dict[str, list[str]]] = [{BEARER_SCHEME: []}]


async def signed_in(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """401 unless the request carries a valid access token; the caller is kept for ``principal``.
    ``OPTIONS`` (what a route allows, and CORS preflights) needs no token."""
    if connection.scope.get("method") == "OPTIONS":
        return
    await authenticate(connection)


async def not_suspended(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """For posting, commenting, liking and following: 401 without a valid token, 403
    ``account-suspended`` (with the end time) while the caller's account is suspended. The account is
    read with the session on every request, so a suspension (or its end) counts from the next one."""
    if connection.scope.get("method") == "OPTIONS":
        return
    state = (await authenticate(connection)).account.state
    if state.effective() == "suspended":
        raise AccountSuspended.of(state)


not_suspended.problem_statuses = {401, 403}  # type: ignore[attr-defined]


class StaffOnly(Forbidden):
    code = "staff_only"
    title = "Staff only"
    detail = "Only moderators and admins may do this."


class AdminOnly(Forbidden):
    code = "admin_only"
    title = "Admins only"
    detail = "Only admins may do this."


async def staff(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """401 without a valid token; 403 unless the caller is a moderator or an admin (as the database
    says on this request: a role taken away counts at once)."""
    if connection.scope.get("method") == "OPTIONS":
        return
    if (await authenticate(connection)).account.role not in STAFF:
        raise StaffOnly()


async def admin(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """401 without a valid token; 403 unless the caller is an admin."""
    if connection.scope.get("method") == "OPTIONS":
        return
    if (await authenticate(connection)).account.role != "admin":
        raise AdminOnly()


staff.problem_statuses = {401, 403}  # type: ignore[attr-defined]
admin.problem_statuses = {401, 403}  # type: ignore[attr-defined]
