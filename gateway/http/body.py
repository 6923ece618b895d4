"""Checks on a request body before anything decodes it, so that no body can make a handler fail.

A route that reads a body gets JSON only (415 otherwise), as UTF-8 (400 ``malformed_body`` for other
bytes), nested at most :data:`MAX_DEPTH` levels deep (400 ``malformed_body``): msgspec decodes nesting
by recursion, and a 2 KB body of brackets would otherwise hit the interpreter's recursion limit. The
checks read the body once (Litestar keeps it for the handler) and cost one regular-expression pass.
"""

from __future__ import annotations

import re
from typing import Any

from litestar import Request

from gateway.http.errors import HTTP_PROBLEMS, MALFORMED_BODY, Problem
from gateway.http.validation import is_json_media_type

# Far more than any request schema nests (two or three levels), far less than a recursion limit.
MAX_DEPTH = 32
_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(rb"[\[\]{}]")


def takes_body(request: Request[Any, Any, Any]) -> bool:
    return "data" in request.route_handler.parsed_fn_signature.parameters


def refuse_non_json_body(request: Request[Any, Any, Any]) -> None:
    """415 for a body declared as anything but JSON on a route that reads one. A request with no
    Content-Type is read as JSON, which is what every client means by it."""
    content_type = request.headers.get("content-type")
    if takes_body(request) and content_type and not is_json_media_type(content_type):
        raise Problem(HTTP_PROBLEMS[415], "Send the body as JSON with `Content-Type: application/json`.")


def nesting_depth(body: bytes, give_up_after: int = MAX_DEPTH) -> int:
    """How deep arrays and objects nest in ``body`` (brackets inside strings do not count); counting
    stops once past ``give_up_after``."""
    depth = deepest = 0
    for bracket in _BRACKETS.finditer(_STRINGS.sub(b'""', body)):
        if bracket[0] in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
            if deepest > give_up_after:
                break
        else:
            depth -= 1
    return deepest


async def check_body(request: Request[Any, Any, Any]) -> None:
    """Refuse a body no handler should see (see the module's docstring)."""
    if not takes_body(request):
        return
    refuse_non_json_body(request)
    body = await request.body()
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        raise Problem(MALFORMED_BODY, "The request body is not valid UTF-8.") from None
    if nesting_depth(body) > MAX_DEPTH:
        raise Problem(MALFORMED_BODY, f"The request body nests deeper than {MAX_DEPTH} levels.")
