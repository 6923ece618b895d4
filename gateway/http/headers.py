"""Headers every response carries: no MIME sniffing, a strict policy for the HTML pages (the API's
docs), the rate-limit budget of a limited route (``RateLimit-*``, on allowed answers too, so a
client can slow down before it is refused), and on ``OPTIONS`` and 405 answers one ``Allow`` list:
every method of the path, in one order (Litestar's own ``OPTIONS`` answer lists only the methods of
the first controller that declared the path)."""

from __future__ import annotations

from typing import Any

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.routes import HTTPRoute
from litestar.types import ASGIApp, Message, Receive, Scope, Send

RATE_LIMIT_STATE = "rate_limit_headers"
NO_SNIFF = {"X-Content-Type-Options": "nosniff"}
# Swagger UI starts from an inline script and inline styles; everything else is the gateway's own.
HTML_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


_allowed: dict[int, str] = {}


def _allow_of(scope: Scope) -> str | None:
    """Every method of the path that ``scope``'s handler serves, or None if there is no handler."""
    handler: Any = scope.get("route_handler")
    if handler is None:
        return None
    if not _allowed:
        for route in scope["litestar_app"].routes:
            if isinstance(route, HTTPRoute):
                methods = ", ".join(sorted(route.methods))
                _allowed.update(dict.fromkeys(map(id, route.route_handlers), methods))
    return _allowed.get(id(handler))


def sorted_methods(value: str) -> str:
    """An ``Allow`` value in the one order every answer uses."""
    return ", ".join(sorted(method.strip() for method in value.split(",") if method.strip()))


def response_headers_middleware(app: ASGIApp) -> ASGIApp:
    """Add the headers of the module's docstring to every HTTP response."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                headers.update(NO_SNIFF)
                if headers.get("content-type", "").startswith("text/html"):
                    headers["Content-Security-Policy"] = HTML_POLICY
                    headers["X-Frame-Options"] = "DENY"
                for name, value in scope.get("state", {}).get(RATE_LIMIT_STATE, {}).items():
                    headers.setdefault(name, value)
                if "allow" in headers:
                    allow = _allow_of(scope) if scope["method"] == "OPTIONS" else None
                    headers["Allow"] = allow or sorted_methods(headers["allow"])
            await send(message)

        await app(scope, receive, send_with_headers)

    return middleware
