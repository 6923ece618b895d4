"""The admin panel's sign-in: a signed session cookie, the staff check on every request, and CSRF.

The cookie holds a JWT of its own audience (:data:`AUDIENCE`) naming a login session and its account:
it never works as an API bearer token, and an API token never works as the cookie. Every request
reads the session and the account from the database (a revoked session, a disabled account or a
role taken away count at once) and refuses anyone but moderators and admins. The cookie is HttpOnly
and SameSite=Strict; on top of that, every form carries a CSRF token, the HMAC of the session id,
checked on every POST. The sign-in form, before any session exists, carries the HMAC of a random
value held in a short-lived cookie of its own (double submit).
"""

from __future__ import annotations

import dataclasses
import hmac
import secrets
import uuid
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.handlers.base import BaseRouteHandler

from gateway.auth.service import NotAuthenticated, Principal, Sessions
from gateway.auth.tokens import InvalidToken
from gateway.http.dependencies import services_of
from gateway.users.status import STAFF

COOKIE = "flock_admin"
LOGIN_COOKIE = "flock_admin_login"
AUDIENCE = "flock-admin-panel"
PATH = "/admin"
CSRF_FIELD = "csrf"
LOGIN_COOKIE_TTL = 600
_STATE = "panel_staff"


@dataclasses.dataclass(frozen=True, slots=True)
class PanelConfig:
    """From the gateway's settings: HTTPS-only cookies (off only for plain-HTTP local runs) and how
    long a sign-in lasts."""

    cookie_secure: bool = True
    session_ttl: int = 8 * 3600


class SignInRequired(Exception):
    """No valid staff session: the answer is the sign-in page."""


class Refused(Exception):
    """A request the panel refuses (403: not staff, or a missing or wrong CSRF token)."""

    def __init__(self, message: str, status_code: int = 403) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code


def sessions_of(request: Request[Any, Any, Any]) -> Sessions:
    return services_of(request.app.state).sessions


def cookie(config: PanelConfig, name: str, value: str, max_age: int) -> Cookie:
    """A panel cookie: HttpOnly, SameSite=Strict, for ``/admin`` only (``max_age`` 0 deletes it)."""
    return Cookie(
        key=name,
        value=value,
        max_age=max_age,
        path=PATH,
        secure=config.cookie_secure,
        httponly=True,
        samesite="strict",
    )


def session_cookie(request: Request[Any, Any, Any], config: PanelConfig, principal: Principal) -> Cookie:
    token = sessions_of(request).tokens.issue(
        principal.account.id, principal.session_id, audience=AUDIENCE, ttl_seconds=config.session_ttl
    )
    return cookie(config, COOKIE, token, config.session_ttl)


def csrf_token(request: Request[Any, Any, Any], session_id: uuid.UUID) -> str:
    return sessions_of(request).tokens.mac(f"admin-panel-csrf:{session_id}")


def login_form_token(request: Request[Any, Any, Any], nonce: str) -> str:
    return sessions_of(request).tokens.mac(f"admin-panel-login:{nonce}")


def new_login_nonce() -> str:
    return secrets.token_urlsafe(24)


async def check_login_form(request: Request[Any, Any, Any]) -> None:
    """The sign-in form's token matches its cookie (:class:`Refused` otherwise)."""
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    sent = str((await request.form()).get(CSRF_FIELD) or "")
    if not nonce or not hmac.compare_digest(sent, login_form_token(request, nonce)):
        raise Refused("The sign-in form has expired or did not come from this site; load it again.")


async def session_of(request: Request[Any, Any, Any]) -> Principal | None:
    """The live session the cookie names, whatever the account's role; None without one."""
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    sessions = sessions_of(request)
    try:
        claims = sessions.tokens.verify(token, audience=AUDIENCE)
        return await sessions.authenticate_session(claims.session_id, claims.user_id)
    except (InvalidToken, NotAuthenticated):
        return None


async def staff_of(request: Request[Any, Any, Any]) -> Principal:
    """The signed-in staff member making ``request``, checked on every request; on a POST, the
    form's CSRF token is checked too."""
    cached = request.state.get(_STATE)
    if isinstance(cached, Principal):
        return cached
    principal = await session_of(request)
    if principal is None:
        raise SignInRequired()
    if principal.account.role not in STAFF:
        raise Refused("The admin panel is for moderators and admins.")
    if request.method == "POST":
        sent = str((await request.form()).get(CSRF_FIELD) or "")
        if not hmac.compare_digest(sent, csrf_token(request, principal.session_id)):
            raise Refused("The form's CSRF token is missing or wrong; reload the page and try again.")
    request.state[_STATE] = principal
    return principal


async def staff_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard of every page but the sign-in: runs before any dependency is made, so nothing is read
    or called for a request the panel refuses."""
    if not isinstance(connection, Request):
        raise SignInRequired()
    await staff_of(connection)
