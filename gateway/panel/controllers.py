"""The admin panel's pages (``/admin``): sign-in, the dashboard and the audit log; the users and
reports pages are in :mod:`gateway.panel.users` and :mod:`gateway.panel.reports`.

Handlers stay thin: read the form, call the same service as the admin API (:class:`Moderation`,
:class:`Reports`, the audit log) on behalf of the signed-in staff member, and render a template. A
service error (a rule refused, say) is shown on the page as a message, with its family's status;
success redirects (POST, redirect, GET) with a fixed message.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Redirect, Template

from gateway.auth.service import Principal
from gateway.http.dependencies import services_of
from gateway.http.errors import kind_of
from gateway.http.ratelimit import client_address
from gateway.moderation import audit
from gateway.moderation.service import Moderation
from gateway.panel import forms
from gateway.panel.pages import PAGE_SIZE, page
from gateway.panel.session import (
    COOKIE,
    CSRF_FIELD,
    LOGIN_COOKIE,
    LOGIN_COOKIE_TTL,
    PanelConfig,
    Refused,
    check_login_form,
    cookie,
    login_form_token,
    new_login_nonce,
    session_cookie,
    session_of,
    sessions_of,
    staff_only,
)
from gateway.users.status import STAFF
from servicekit.database import Database
from servicekit.errors import FlockError

# Sign-in shares the budget of the API's log-in (per address, and per account named).
_LOGIN_SCOPE = "auth"


def _login_page(
    request: Request[Any, Any, Any], config: PanelConfig, error: str = "", status: int = 200
) -> Template:
    nonce = new_login_nonce()
    return Template(
        "login.html",
        status_code=status,
        context={"csrf_field": CSRF_FIELD, "csrf": login_form_token(request, nonce), "error": error},
        cookies=[cookie(config, LOGIN_COOKIE, nonce, LOGIN_COOKIE_TTL)],
    )


class SignInController(Controller):
    path = "/"

    @get("/login")
    async def login_page(
        self, request: Request[Any, Any, Any], panel_config: NamedDependency[PanelConfig]
    ) -> Response[Any]:
        signed_in = await session_of(request)
        if signed_in is not None and signed_in.account.role in STAFF:
            return Redirect("/admin")
        return _login_page(request, panel_config)

    @post("/login", status_code=303)
    async def login(
        self, request: Request[Any, Any, Any], panel_config: NamedDependency[PanelConfig]
    ) -> Response[Any]:
        await check_login_form(request)
        form = await request.form()
        login, password = forms.text(form, "username"), str(form.get("password") or "")
        limiter = services_of(request.app.state).rate_limiter
        decision = await limiter.login_attempt(_LOGIN_SCOPE, client_address(request), login)
        if not decision.allowed:
            message = f"Too many sign-in attempts; retry in {decision.reset_after} s."
            return _login_page(request, panel_config, message, 429)
        sessions = sessions_of(request)
        try:
            principal = await sessions.open_session(login, password)
        except FlockError as error:
            return _login_page(request, panel_config, str(error), kind_of(error).status)
        if principal.account.role not in STAFF:
            await sessions.end_session(principal.session_id)
            return _login_page(request, panel_config, "The admin panel is for moderators and admins.", 403)
        response = Redirect("/admin", status_code=303)
        response.set_cookie(session_cookie(request, panel_config, principal))
        response.set_cookie(cookie(panel_config, LOGIN_COOKIE, "", 0))
        return response

    @post("/logout", status_code=303, guards=[staff_only])
    async def logout(
        self,
        staff: NamedDependency[Principal],
        request: Request[Any, Any, Any],
        panel_config: NamedDependency[PanelConfig],
    ) -> Response[Any]:
        await sessions_of(request).end_session(staff.session_id)
        response = Redirect("/admin/login", status_code=303)
        response.set_cookie(cookie(panel_config, COOKIE, "", 0))
        return response


class DashboardController(Controller):
    path = "/"
    guards = [staff_only]

    @get("/")
    async def dashboard(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Principal],
        moderation: NamedDependency[Moderation],
    ) -> Template:
        return page(request, staff, "dashboard.html", dashboard=await moderation.dashboard())

    @get("/audit")
    async def audit_log(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Principal],
        database: NamedDependency[Database],
    ) -> Template:
        if staff.account.role != "admin":
            raise Refused("The audit log is for admins.")  # as in the admin API
        action = request.query_params.get("action") or None
        action = action if action in audit.ACTIONS else None
        try:
            filters = audit.Filters(action=action, target_id=request.query_params.get("target") or None)
            entries, next_cursor = await audit.entries(
                database, filters, PAGE_SIZE, request.query_params.get("cursor")
            )
        except FlockError as error:
            return page(
                request,
                staff,
                "audit.html",
                status_code=kind_of(error).status,
                error=str(error),
                entries=[],
                next_cursor=None,
                action=action,
                actions=audit.ACTIONS,
            )
        return page(
            request,
            staff,
            "audit.html",
            entries=entries,
            next_cursor=next_cursor,
            action=action,
            actions=audit.ACTIONS,
        )
