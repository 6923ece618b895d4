"""Every error the gateway answers with, as RFC 9457 problem details; the one place that maps errors
to HTTP.

Domain code raises errors with meaning (``UsernameTaken``, ``PostNotFound``…), each of a family of
:mod:`servicekit.errors` that carries its code: this module maps the families (:data:`FAMILY_STATUS`)
and imports no domain. Framework errors (validation, routing, body size) are translated here too. So
every error body has one shape, ``{type, title, status, detail, code, request_id, errors?}``, served as
``application/problem+json``; ``type`` resolves to a description at ``/problems/{code}``.
"""

from __future__ import annotations

import collections
import logging
import re
import traceback
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.utils.scope.state import ScopeState

from gateway.http.headers import NO_SNIFF, sorted_methods
from gateway.http.request_id import HEADER as REQUEST_ID_HEADER
from gateway.http.request_id import request_id_of
from gateway.http.validation import body_field_errors, split_message
from servicekit.database import OUTAGE_ERRORS
from servicekit.errors import (
    Conflict,
    Failed,
    FlockError,
    Forbidden,
    Gone,
    Invalid,
    Malformed,
    NotFound,
    RateLimited,
    TimedOut,
    Unauthenticated,
    Unavailable,
    every_error,
    family_of,
)

log = logging.getLogger("flock.gateway")

PROBLEM_MEDIA_TYPE = "application/problem+json"


class FieldError(msgspec.Struct, frozen=True):
    """One offending input: a JSON path like ``username``, or a query parameter's name."""

    field: str
    message: str


class ProblemBody(msgspec.Struct, omit_defaults=True):
    """The body of every error response (RFC 9457 plus ``code``, ``request_id`` and ``errors``)."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    request_id: str = ""
    errors: list[FieldError] = msgspec.field(default_factory=list)


class ProblemKind(msgspec.Struct, frozen=True):
    """A stable kind of error: its HTTP status, machine-readable code and title; ``type_name`` names
    its ``/problems/…`` type where that differs from the code."""

    status: int
    code: str
    title: str
    type_name: str = ""

    @property
    def type(self) -> str:
        return f"/problems/{self.type_name or self.code}"


class Problem(Exception):
    """An error to send as is: a kind, a human detail, optional field errors and headers."""

    def __init__(
        self,
        kind: ProblemKind,
        detail: str | None = None,
        *,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
        extensions: dict[str, object] | None = None,
    ) -> None:
        self.kind = kind
        self.detail = detail or f"{kind.title}."
        self.errors = errors or []
        self.headers = headers or {}
        self.extensions = extensions or {}
        super().__init__(self.detail)


VALIDATION_FAILED = ProblemKind(422, Invalid.code, Invalid.title)
MALFORMED_BODY = ProblemKind(400, "malformed_body", "The request body is not valid JSON")
RATE_LIMITED = ProblemKind(429, RateLimited.code, RateLimited.title)
INTERNAL_ERROR = ProblemKind(500, "internal_error", "Internal server error")

# Framework errors, by status.
HTTP_PROBLEMS = {
    kind.status: kind
    for kind in (
        ProblemKind(400, "bad_request", "Bad request"),
        ProblemKind(401, "unauthenticated", "Authentication is required"),
        ProblemKind(403, "forbidden", "Forbidden"),
        ProblemKind(404, "not_found", "Not found"),
        ProblemKind(405, "method_not_allowed", "Method not allowed"),
        ProblemKind(406, "not_acceptable", "Not acceptable"),
        ProblemKind(413, "request_too_large", "The request body is too large"),
        ProblemKind(415, "unsupported_media_type", "Unsupported media type"),
        RATE_LIMITED,
        INTERNAL_ERROR,
        ProblemKind(503, "unavailable", "Service unavailable"),
    )
}


# The HTTP status of each family of errors with meaning (servicekit.errors); a domain's own errors
# (UsernameTaken, PostNotFound…) answer with their family's status and their own code.
FAMILY_STATUS: dict[type[FlockError], int] = {
    Malformed: 400,
    Invalid: 422,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Gone: 410,
    Conflict: 409,
    RateLimited: 429,
    Unavailable: 503,
    TimedOut: 504,
    Failed: 502,
}


def kind_of(error: FlockError | type[FlockError]) -> ProblemKind:
    """How ``error`` reads over HTTP: its family's status, its own code and title."""
    return ProblemKind(FAMILY_STATUS.get(family_of(error), 500), error.code, error.title, error.type_name)


def problem_catalog() -> dict[str, ProblemKind]:
    """Every problem code the gateway can answer with: the framework's, and every error with meaning
    that the imported domains define."""
    kinds = [MALFORMED_BODY, *HTTP_PROBLEMS.values()]
    kinds += [kind_of(error) for error in every_error() if error is not FlockError]
    return {kind.code: kind for kind in kinds}


def problem_response(request: Request[Any, Any, Any], problem: Problem) -> Response[Any]:
    """Render ``problem`` as an ``application/problem+json`` response."""
    # Errors of routing (404, 405) are answered before any middleware runs: their headers are set here.
    headers = {**problem.headers, REQUEST_ID_HEADER: request_id_of(request), **NO_SNIFF}
    for name in [name for name in headers if name.lower() == "allow"]:
        headers[name] = sorted_methods(headers[name])
    if problem.kind.status == 401:
        headers.setdefault("WWW-Authenticate", "Bearer")
    body = ProblemBody(
        type=problem.kind.type,
        title=problem.kind.title,
        status=problem.kind.status,
        detail=problem.detail,
        code=problem.kind.code,
        request_id=request_id_of(request),
        errors=problem.errors,
    )
    # Extension members (RFC 9457) follow the standard ones; they never replace one.
    content: Any = {**problem.extensions, **msgspec.to_builtins(body)} if problem.extensions else body
    return Response(content=content, status_code=body.status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


_UNPARSABLE = ("malformed", "truncated", "invalid json")
_MISSING = re.compile(r"Missing required (?P<kind>[\w ]*?parameter) '(?P<name>[^']+)'")


def _field_error(request: Request[Any, Any, Any], raw: object) -> FieldError:
    if not isinstance(raw, dict):
        return FieldError(field="", message=str(raw))
    message, path = split_message(str(raw.get("message", "invalid value")))
    key = str(raw.get("key") or "")
    if "matching regex" in message and not path:
        # A parameter's pattern means nothing to a client; its description says what is expected.
        description = getattr(_kwarg_definition(request, key), "description", None)
        message = f"Invalid format: {description}" if description else "Invalid format"
    return FieldError(field=path or _public_name(request, key), message=message)


def _public_name(request: Request[Any, Any, Any], key: str) -> str:
    # Litestar names a parameter by its Python name; clients know the header or query name.
    declared = getattr(_kwarg_definition(request, key), "name", None)
    return str(declared or key)


def _kwarg_definition(request: Request[Any, Any, Any], key: str) -> object:
    parameter = request.route_handler.parsed_fn_signature.parameters.get(key)
    return parameter.kwarg_definition if parameter else None


def _body_errors(request: Request[Any, Any, Any]) -> list[FieldError]:
    # Litestar keeps the body it read in the scope; re-check it field by field to report them all.
    body = ScopeState.from_scope(request.scope).body
    parameter = request.route_handler.parsed_fn_signature.parameters.get("data")
    if parameter is None or not isinstance(body, bytes):
        return []
    return [FieldError(field, message) for field, message in body_field_errors(parameter.annotation, body)]


def _from_validation(request: Request[Any, Any, Any], exc: ValidationException) -> Problem:
    errors = [_field_error(request, item) for item in exc.extra] if isinstance(exc.extra, list) else []
    if any(marker in error.message.lower() for error in errors for marker in _UNPARSABLE):
        return Problem(MALFORMED_BODY, "The request body could not be parsed as JSON.")
    if any(isinstance(item, dict) and item.get("source") == "body" for item in exc.extra or []):
        errors = _body_errors(request) or errors
    if not errors:
        # Litestar names a missing parameter only in its message: "Missing required query parameter
        # 'q' for path /…". Clients get the name as the field, and a message without our paths.
        missing = _MISSING.match(exc.detail)
        if missing:
            errors = [FieldError(field=missing["name"], message=f"This {missing['kind']} is required.")]
        else:
            errors = [FieldError(field="", message=exc.detail)]
    return Problem(VALIDATION_FAILED, "Some input is missing or invalid; see `errors`.", errors=errors)


def handle_problem(request: Request[Any, Any, Any], exc: Problem) -> Response[Any]:
    return problem_response(request, exc)


def handle_error(request: Request[Any, Any, Any], exc: FlockError) -> Response[Any]:
    detail = str(exc)
    errors = [FieldError(field=exc.field, message=detail)] if exc.field else None
    headers = {"Retry-After": f"{exc.retry_after:g}"} if isinstance(exc, Unavailable) else None
    return problem_response(
        request,
        Problem(kind_of(exc), detail, errors=errors, headers=headers, extensions=exc.extensions),
    )


def handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if isinstance(exc, ValidationException):
        return problem_response(request, _from_validation(request, exc))
    if exc.status_code == 400 and any(marker in str(exc.detail).lower() for marker in _UNPARSABLE):
        return problem_response(
            request, Problem(MALFORMED_BODY, "The request body could not be parsed as JSON.")
        )
    kind = HTTP_PROBLEMS.get(exc.status_code) or ProblemKind(exc.status_code, "http_error", "HTTP error")
    if exc.status_code >= 500:
        log.error("request %s failed: %r", request_id_of(request), exc)
        return problem_response(request, Problem(kind))
    detail = exc.detail if exc.detail and exc.detail.lower() != kind.title.lower() else None
    return problem_response(request, Problem(kind, detail, headers=exc.headers))


def handle_database_unavailable(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    # Nothing was written (the statement never ran or its transaction rolled back): safe to retry.
    log.warning("database unavailable in request %s: %r", request_id_of(request), exc)
    detail = "A database is unavailable; nothing was changed. Retry shortly."
    return problem_response(request, Problem(HTTP_PROBLEMS[503], detail, headers={"Retry-After": "5"}))


class _FirstSight:
    """Which unexpected failures were already logged with their trace: a bug hit by every request of
    an attack is one trace and a line per request, not a trace per request."""

    def __init__(self, capacity: int = 1000) -> None:
        self._seen: collections.OrderedDict[tuple[str, str, int], None] = collections.OrderedDict()
        self._capacity = capacity

    def first(self, exc: BaseException) -> bool:
        frames = traceback.extract_tb(exc.__traceback__)
        where = (frames[-1].filename, frames[-1].lineno or 0) if frames else ("", 0)
        signature = (type(exc).__qualname__, *where)
        if signature in self._seen:
            self._seen.move_to_end(signature)
            return False
        self._seen[signature] = None
        if len(self._seen) > self._capacity:
            self._seen.popitem(last=False)
        return True


_UNEXPECTED = _FirstSight()


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    # The trace goes to the log once, keyed by request id; the client gets the id and nothing internal.
    if _UNEXPECTED.first(exc):
        log.exception("unhandled error in request %s", request_id_of(request), exc_info=exc)
    else:
        log.error("unhandled error in request %s (seen before): %r", request_id_of(request), exc)
    detail = "Something went wrong on our side; quote the request_id when reporting it."
    return problem_response(request, Problem(INTERNAL_ERROR, detail))


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    Problem: handle_problem,
    FlockError: handle_error,
    HTTPException: handle_http_exception,
    # The pool cannot reach PostgreSQL (refused, reset, restarting, out of connections).
    **dict.fromkeys(OUTAGE_ERRORS, handle_database_unavailable),
    Exception: handle_unexpected,
}
