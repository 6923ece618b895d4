"""Query strings say only what a route reads: a parameter the route does not know, or one given twice,
is a 422 naming it, never silently ignored (a typo such as ``?limt=5`` would otherwise page by 20)."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.constants import RESERVED_KWARGS
from litestar.handlers import HTTPRouteHandler
from litestar.params import (
    BodyKwarg,
    CookieParameter,
    DependencyKwarg,
    HeaderParameter,
    ParameterKwarg,
    PathParameter,
)

from gateway.http.errors import VALIDATION_FAILED, FieldError, Problem

_known: dict[int, frozenset[str]] = {}


_NOT_QUERY = (BodyKwarg, DependencyKwarg, HeaderParameter, CookieParameter, PathParameter)


def _query_name(name: str, definition: object) -> str | None:
    """The query name of a handler's parameter, or None if it comes from elsewhere."""
    if isinstance(definition, _NOT_QUERY):
        return None
    if isinstance(definition, ParameterKwarg):
        if definition.header or definition.cookie:
            return None
        return definition.query or definition.name or name
    return name


def query_names(handler: HTTPRouteHandler, path_names: frozenset[str]) -> frozenset[str]:
    """The query parameters ``handler`` declares, by the names clients send: those of its signature
    that are not reserved, a path parameter, a dependency, a header, a cookie or the body."""
    key = id(handler)
    if key not in _known:
        skip = RESERVED_KWARGS | set(handler.resolve_dependencies()) | path_names
        names = (
            _query_name(name, parameter.kwarg_definition)
            for name, parameter in handler.parsed_fn_signature.parameters.items()
            if name not in skip
        )
        _known[key] = frozenset(name for name in names if name)
    return _known[key]


def refuse_unknown_query(request: Request[Any, Any, Any]) -> None:
    """422 for a query parameter the route does not read, or one sent more than once."""
    given = request.query_params
    if not given:
        return
    known = query_names(request.route_handler, frozenset(request.path_params))
    errors = [
        FieldError(field=name, message="Unknown query parameter.")
        for name in sorted(set(given.keys()) - known)
    ]
    errors += [
        FieldError(field=name, message="Give this parameter once.")
        for name in sorted(known)
        if len(given.getall(name, [])) > 1
    ]
    if errors:
        raise Problem(VALIDATION_FAILED, "Some input is missing or invalid; see `errors`.", errors=errors)
