"""The OpenAPI document says what the server does: every operation lists the problems it can answer,
as ``application/problem+json`` with the problem schema, and strict bodies say they refuse unknown
fields (``additionalProperties: false``).

Most statuses follow from what a route is, so they are derived here rather than written 40 times:

- every API route: 422 (a query parameter it does not know, or given twice), 503 (a database or
  service out of reach, so nothing was changed; or, for a write, its outcome unknown);
- a route with a body: 400 (not JSON, not UTF-8, nested too deep), 413, 415, 422;
- a route with a cursor: 400 (``invalid_cursor``);
- a route with path parameters: 404;
- a route that authenticates its caller (needs one, or reads an optional one): 401;
- a rate-limited route: 429;
- a route that calls the posts or stats service: 502 and 504.

What only a route knows (403 for someone else's post, 409 for a taken username) it declares itself
with :func:`problems`.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from typing import Any

import msgspec
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIResponse, Schema
from litestar.routes import HTTPRoute

from gateway.http.errors import PROBLEM_MEDIA_TYPE, ProblemBody
from gateway.http.ratelimit import OPT_KEY

_DESCRIPTIONS = {
    400: "The body or a cursor cannot be read (`malformed_body`, `invalid_cursor`)",
    401: "No valid access token (`unauthenticated`, or the route's own code)",
    403: "The caller may not do this (`forbidden`, `account-suspended` with `suspended_until`, or the"
    " route's own code)",
    404: "No such resource, or one the caller may not see",
    409: "The current state does not allow it",
    410: "It was removed by moderation (`post_removed`)",
    413: "The body is over 64 KiB",
    415: "The body is not JSON",
    422: "Some input is invalid, unknown or repeated; `errors` names each",
    429: "Too many attempts; retry after `Retry-After` seconds",
    502: "A service failed; quote the `request_id`",
    503: "A database or service is unreachable (`unavailable`: nothing was changed), or a write reached "
    "a service that stopped answering (`outcome_unknown`: it may or may not have been made; repeat it "
    "with the same `Idempotency-Key`); retry after `Retry-After`",
    504: "A service did not answer a read in time, or could not be reached in time; retry",
}
# Dependencies that read the caller's token, and those that call an internal service.
_AUTHENTICATING = {"principal", "viewer"}
_CALLING = {"posts_client", "stats_client"}


def problems(*statuses: int) -> dict[int, ResponseSpec]:
    """Problem responses for ``statuses``, for a route's ``responses``."""
    return {
        status: ResponseSpec(
            ProblemBody,
            description=_DESCRIPTIONS[status],
            media_type=PROBLEM_MEDIA_TYPE,
            generate_examples=False,
        )
        for status in statuses
    }


def _needs(handler: HTTPRouteHandler) -> set[str]:
    """Every dependency ``handler`` resolves, directly or through other dependencies."""
    provided = handler.resolve_dependencies()
    seen: set[str] = set()
    pending = [name for name in handler.parsed_fn_signature.parameters if name in provided]
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        function: Any = provided[name].dependency
        pending.extend(p for p in inspect.signature(function).parameters if p in provided)
    return seen


def derived_statuses(route: HTTPRoute, handler: HTTPRouteHandler) -> set[int]:
    """The problem statuses ``handler`` can answer by what it is (see the module's docstring)."""
    statuses = {422, 503}
    parameters = handler.parsed_fn_signature.parameters
    needs = _needs(handler)
    if "data" in parameters:
        statuses |= {400, 413, 415}
    if "cursor" in parameters:
        statuses.add(400)
    if route.path_parameters:
        statuses.add(404)
    if needs & _AUTHENTICATING:
        statuses.add(401)
    for guard in handler.resolve_guards():
        # A guard may say what it answers (a role check: 401 and 403); any other answers 401.
        statuses |= getattr(guard, "problem_statuses", {401})
    if handler.opt.get(OPT_KEY):
        statuses.add(429)
    if needs & _CALLING:
        statuses |= {502, 504}
    return statuses


def _strict_structs(kinds: Iterable[Any]) -> dict[str, type[msgspec.Struct]]:
    return {
        kind.__name__: kind
        for kind in kinds
        if isinstance(kind, type)
        and issubclass(kind, msgspec.Struct)
        and kind.__struct_config__.forbid_unknown_fields
    }


def document_problems(app: Litestar, api_prefix: str) -> None:
    """Give every API operation its problem responses and every strict body schema
    ``additionalProperties: false``; call once, after the app is built and before its document is."""
    bodies: list[Any] = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith(api_prefix):
            continue
        for handler in route.route_handlers:
            if "OPTIONS" in handler.http_methods and len(handler.http_methods) == 1:
                continue
            declared = dict(handler.responses or {})
            derived = problems(*(derived_statuses(route, handler) - set(declared)))
            handler.responses = {**derived, **declared}
            if "data" in handler.parsed_fn_signature.parameters:
                bodies.append(handler.parsed_fn_signature.parameters["data"].annotation)
    document = app.openapi_schema
    strict = _strict_structs(bodies)
    for name, schema in (document.components.schemas or {}).items():
        if name in strict and isinstance(schema, Schema):
            schema.additional_properties = False
    # Litestar documents a 400 of its own (another body shape) on every route with parameters; this
    # gateway answers invalid parameters with a 422 problem, and a 400 only where derived above.
    for path, item in (document.paths or {}).items():
        if not path.startswith(api_prefix):
            continue
        for operation in (
            getattr(item, method, None) for method in ("get", "put", "post", "delete", "patch")
        ):
            responses = operation.responses if operation is not None else None
            bad_request = (responses or {}).get("400")
            if (
                responses
                and isinstance(bad_request, OpenAPIResponse)
                and PROBLEM_MEDIA_TYPE not in (bad_request.content or {})
            ):
                del responses["400"]
