"""A request id on every request and response, so a client's report can be found in the logs."""

from __future__ import annotations

import re
import uuid
from typing import Any

from litestar import Request
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "x-request-id"
_ACCEPTABLE = re.compile(r"^[A-Za-z0-9._\-]{8,128}$")


def request_id_of(request: Request[Any, Any, Any]) -> str:
    """The id of ``request``: assigned by :func:`request_id_middleware`, or here for the requests that
    never reach it (no route matched)."""
    state = request.scope.setdefault("state", {})
    if "request_id" not in state:
        state["request_id"] = uuid.uuid4().hex
    return str(state["request_id"])


def request_id_middleware(app: ASGIApp) -> ASGIApp:
    """Take a well-formed ``X-Request-ID`` from the caller or make one, and echo it back."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        incoming = next((v.decode("latin-1") for k, v in scope["headers"] if k == HEADER.encode()), "")
        request_id = incoming if _ACCEPTABLE.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableScopeHeaders.from_message(message)[HEADER] = request_id
            await send(message)

        await app(scope, receive, send_with_id)

    return middleware
