"""The panel's users pages: search, one account, and the staff actions on it (``/admin/users``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from gateway.auth.service import Principal
from gateway.http.errors import kind_of
from gateway.moderation.service import Moderation, StaffView, UserFilters
from gateway.panel import forms
from gateway.panel.pages import PAGE_SIZE, page
from gateway.panel.session import staff_only
from gateway.users.status import ROLES, STATUSES
from servicekit.errors import FlockError


class UsersController(Controller):
    path = "/users"
    guards = [staff_only]

    @get("/")
    async def users(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Principal],
        moderation: NamedDependency[Moderation],
    ) -> Template:
        query = request.query_params
        filters = UserFilters(
            query.get("q") or None, forms.status(query.get("status", "")), forms.role(query.get("role", ""))
        )
        context: dict[str, Any] = {"filters": filters, "statuses": STATUSES, "roles": ROLES}
        try:
            views, next_cursor = await moderation.users(filters, PAGE_SIZE, query.get("cursor"))
        except FlockError as error:
            return page(
                request,
                staff,
                "users.html",
                status_code=kind_of(error).status,
                error=str(error),
                views=[],
                next_cursor=None,
                **context,
            )
        return page(request, staff, "users.html", views=views, next_cursor=next_cursor, **context)

    @get("/{username:str}")
    async def user(
        self,
        request: Request[Any, Any, Any],
        username: FromPath[str],
        staff: NamedDependency[Principal],
        moderation: NamedDependency[Moderation],
    ) -> Template:
        return await _user_page(request, staff, moderation, username)

    async def _act(
        self,
        request: Request[Any, Any, Any],
        staff: Principal,
        moderation: Moderation,
        username: str,
        *,
        done: str,
        action: Callable[[], Awaitable[StaffView]],
    ) -> Response[Any]:
        try:
            await action()
        except FlockError as error:
            return await _user_page(
                request, staff, moderation, username, error=str(error), status_code=kind_of(error).status
            )
        return Redirect(f"/admin/users/{quote(username)}?done={done}", status_code=303)

    @post("/{username:str}/suspend", status_code=303)
    async def suspend(
        self,
        request: Request[Any, Any, Any],
        username: FromPath[str],
        staff: NamedDependency[Principal],
        moderation: NamedDependency[Moderation],
    ) -> Response[Any]:
        form = await request.form()
        period, reason = forms.suspension(form), forms.text(form, "reason")
        return await self._act(
            request,
            staff,
            moderation,
            username,
            done="suspend",
            action=lambda: moderation.suspend(username, period, reason),
        )

    @post("/{username:str}/unsuspend", status_code=303)
    async def unsuspend(
        self,
        request: Request[Any, Any, Any],
        username: FromPath[str],
        staff: NamedDependency[Principal],
        moderation: NamedDependency[Moderation],
    ) -> Response[Any]:
        reason = forms.text(await request.form(), "reason")
        return await self._act(
            request,
            staff,
            moderation,
            username,
            done="unsuspend",
            action=lambda: moderation.unsuspend(username, reason),
        )

    @post("/{username:str}/disable", status_code=303)
    async def disable(
        self,
        request: Request[Any, Any, Any],
        username: FromPath[str],
        staff: NamedDependency[Principal],
        moderation: NamedDependency[Moderation],
    ) -> Response[Any]:
        reason = forms.text(await request.form(), "reason")
        return await self._act(
            request,
            staff,
            moderation,
            username,
            done="disable",
            action=lambda: moderation.disable(username, reason),
        )

    @post("/{username:str}/reactivate", status_code=303)
    async def reactivate(
        self,
        request: Request[Any, Any, Any],
        username: FromPath[str],
        staff: NamedDependency[Principal],
        moderation: NamedDependency[Moderation],
    ) -> Response[Any]:
        reason = forms.text(await request.form(), "reason")
        return await self._act(
            request,
            staff,
            moderation,
            username,
            done="reactivate",
            action=lambda: moderation.reactivate(username, reason),
        )

    @post("/{username:str}/role", status_code=303)
    async def change_role(
        self,
        request: Request[Any, Any, Any],
        username: FromPath[str],
        staff: NamedDependency[Principal],
        moderation: NamedDependency[Moderation],
    ) -> Response[Any]:
        form = await request.form()
        role, reason = forms.role(forms.text(form, "role")), forms.text(form, "reason")
        if role is None:
            return await _user_page(
                request, staff, moderation, username, error="Choose a role.", status_code=422
            )
        return await self._act(
            request,
            staff,
            moderation,
            username,
            done="role",
            action=lambda: moderation.change_role(username, role, reason),
        )


async def _user_page(
    request: Request[Any, Any, Any],
    staff: Principal,
    moderation: Moderation,
    username: str,
    *,
    error: str = "",
    status_code: int = 200,
) -> Template:
    try:
        view = await moderation.user(username)
    except FlockError as failed:
        return page(
            request,
            staff,
            "user.html",
            status_code=kind_of(failed).status,
            error=str(failed),
            view=None,
            roles=ROLES,
        )
    return page(request, staff, "user.html", status_code=status_code, error=error, view=view, roles=ROLES)
