"""Every error the gateway answers with, as RFC 9457 problem details; the one place that maps errors
to HTTP.

Domain code raises plain exceptions with meaning (``UsernameTaken``, ``InvalidCredentials``…), mapped in
:data:`DOMAIN_PROBLEMS`; framework errors (validation, routing, body size) are translated here too. So
every error body has one shape, ``{type, title, status, detail, code, request_id, errors?}``, served as
``application/problem+json``; ``type`` resolves to a description at ``/problems/{code}``.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import asyncpg
import grpc
import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.utils.scope.state import ScopeState

from gateway.auth import service as auth
from gateway.clients import ServiceCallFailed
from gateway.graph import service as graph
from gateway.request_id import HEADER as REQUEST_ID_HEADER
from gateway.request_id import request_id_of
from gateway.users import service as users
from gateway.validation import body_field_errors, is_json_media_type, split_message

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
    """A stable kind of error: its HTTP status, machine-readable code and title."""

    status: int
    code: str
    title: str


class Problem(Exception):
    """An error to send as is: a kind, a human detail, optional field errors and headers."""

    def __init__(
        self,
        kind: ProblemKind,
        detail: str | None = None,
        *,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.kind = kind
        self.detail = detail or f"{kind.title}."
        self.errors = errors or []
        self.headers = headers or {}
        super().__init__(self.detail)


VALIDATION_FAILED = ProblemKind(422, "validation_failed", "The request is not valid")
INVALID_CURSOR = ProblemKind(400, "invalid_cursor", "The cursor is not one this API gave out")
MALFORMED_BODY = ProblemKind(400, "malformed_body", "The request body is not valid JSON")
RATE_LIMITED = ProblemKind(429, "rate_limited", "Too many requests")
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


class DomainProblem(msgspec.Struct, frozen=True):
    """How one domain error reads over HTTP; ``field`` names the input at fault, if any."""

    kind: ProblemKind
    detail: str
    field: str = ""


DOMAIN_PROBLEMS: dict[type[Exception], DomainProblem] = {
    users.UsernameTaken: DomainProblem(
        ProblemKind(409, "username_taken", "Username taken"), "That username is taken.", "username"
    ),
    users.UsernameReserved: DomainProblem(
        ProblemKind(422, "username_reserved", "Username reserved"), "That username is reserved.", "username"
    ),
    users.EmailTaken: DomainProblem(
        ProblemKind(409, "email_taken", "E-mail taken"), "That e-mail address is in use.", "email"
    ),
    users.UserNotFound: DomainProblem(ProblemKind(404, "user_not_found", "User not found"), "No such user."),
    users.CurrentPasswordRequired: DomainProblem(
        ProblemKind(422, "current_password_required", "Current password required"),
        "Changing the e-mail address or password needs `current_password`.",
        "current_password",
    ),
    users.CurrentPasswordIncorrect: DomainProblem(
        ProblemKind(422, "current_password_incorrect", "Current password incorrect"),
        "`current_password` is wrong.",
        "current_password",
    ),
    auth.InvalidCredentials: DomainProblem(
        ProblemKind(401, "invalid_credentials", "Invalid credentials"), "Wrong username/e-mail or password."
    ),
    auth.InvalidRefreshToken: DomainProblem(
        ProblemKind(401, "invalid_refresh_token", "Invalid refresh token"),
        "The refresh token is unknown, expired or revoked; log in again.",
    ),
    auth.RefreshTokenReused: DomainProblem(
        ProblemKind(401, "refresh_token_reused", "Refresh token reused"),
        "This refresh token was already used, so its session has been revoked for safety; log in again.",
    ),
    auth.NotAuthenticated: DomainProblem(
        HTTP_PROBLEMS[401], "Send a valid access token: `Authorization: Bearer <token>`."
    ),
    graph.CannotFollowSelf: DomainProblem(
        ProblemKind(422, "cannot_follow_self", "Cannot follow oneself"), "You cannot follow yourself."
    ),
    graph.AlreadyFollowing: DomainProblem(
        ProblemKind(409, "already_following", "Already following"), "You already follow this account."
    ),
    graph.AlreadyRequested: DomainProblem(
        ProblemKind(409, "already_requested", "Already requested"),
        "Your request to follow this account is already waiting for an answer.",
    ),
    graph.FollowingLimitReached: DomainProblem(
        ProblemKind(409, "following_limit_reached", "Following limit reached"),
        f"An account may follow (or ask to follow) at most {graph.MAX_FOLLOWING} accounts.",
    ),
    graph.NotFollowing: DomainProblem(
        ProblemKind(404, "not_following", "Not following"),
        "You neither follow this account nor asked to.",
    ),
    graph.FollowRequestNotFound: DomainProblem(
        ProblemKind(404, "follow_request_not_found", "Follow request not found"),
        "No request from this account is waiting.",
    ),
    graph.NotAFollower: DomainProblem(
        ProblemKind(404, "not_a_follower", "Not a follower"), "This account does not follow you."
    ),
    graph.ListHidden: DomainProblem(
        ProblemKind(403, "private_account", "Private account"),
        "This account is private: only its approved followers see whom it follows and who follows it.",
    ),
}


# What an internal service's gRPC status means to the client. UNAVAILABLE and DEADLINE_EXCEEDED say
# nothing was done (or may be retried); anything not listed is our fault: 502 with the request id.
SERVICE_PROBLEMS: dict[grpc.StatusCode, ProblemKind] = {
    grpc.StatusCode.NOT_FOUND: HTTP_PROBLEMS[404],
    grpc.StatusCode.PERMISSION_DENIED: HTTP_PROBLEMS[403],
    grpc.StatusCode.UNAUTHENTICATED: HTTP_PROBLEMS[401],
    grpc.StatusCode.INVALID_ARGUMENT: VALIDATION_FAILED,
    grpc.StatusCode.ALREADY_EXISTS: ProblemKind(409, "conflict", "Conflict"),
    grpc.StatusCode.RESOURCE_EXHAUSTED: RATE_LIMITED,
    grpc.StatusCode.UNAVAILABLE: HTTP_PROBLEMS[503],
    grpc.StatusCode.DEADLINE_EXCEEDED: ProblemKind(504, "timeout", "A service took too long to answer"),
}
# Finer codes for some of them, by the reason the service gives.
SERVICE_REASONS: dict[str, ProblemKind] = {
    kind.code: kind
    for kind in (
        ProblemKind(404, "post_not_found", "Post not found"),
        ProblemKind(404, "comment_not_found", "Comment not found"),
        ProblemKind(409, "idempotency_key_reused", "Idempotency key reused"),
    )
}
BAD_GATEWAY = ProblemKind(502, "bad_gateway", "A service failed")
# Request fields of the gRPC contracts, by the name the REST API gives them.
_REST_FIELDS = {"page_size": "limit", "page_token": "cursor", "idempotency_key": "Idempotency-Key"}


def problem_catalog() -> dict[str, ProblemKind]:
    """Every problem code the gateway can answer with."""
    kinds = [VALIDATION_FAILED, MALFORMED_BODY, INVALID_CURSOR, BAD_GATEWAY, *HTTP_PROBLEMS.values()]
    kinds += [*SERVICE_PROBLEMS.values(), *SERVICE_REASONS.values()]
    kinds += [problem.kind for problem in DOMAIN_PROBLEMS.values()]
    return {kind.code: kind for kind in kinds}


def problem_response(request: Request[Any, Any, Any], problem: Problem) -> Response[ProblemBody]:
    """Render ``problem`` as an ``application/problem+json`` response."""
    headers = {**problem.headers, REQUEST_ID_HEADER: request_id_of(request)}
    if problem.kind.status == 401:
        headers.setdefault("WWW-Authenticate", "Bearer")
    body = ProblemBody(
        type=f"/problems/{problem.kind.code}",
        title=problem.kind.title,
        status=problem.kind.status,
        detail=problem.detail,
        code=problem.kind.code,
        request_id=request_id_of(request),
        errors=problem.errors,
    )
    return Response(content=body, status_code=body.status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


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


def refuse_non_json_body(request: Request[Any, Any, Any]) -> None:
    """415 for a body declared as anything but JSON on a route that reads one. A request with no
    Content-Type is read as JSON, which is what every client means by it."""
    content_type = request.headers.get("content-type")
    takes_body = "data" in request.route_handler.parsed_fn_signature.parameters
    if takes_body and content_type and not is_json_media_type(content_type):
        raise Problem(HTTP_PROBLEMS[415], "Send the body as JSON with `Content-Type: application/json`.")


def handle_problem(request: Request[Any, Any, Any], exc: Problem) -> Response[ProblemBody]:
    return problem_response(request, exc)


def handle_domain_error(request: Request[Any, Any, Any], exc: Exception) -> Response[ProblemBody]:
    mapped = DOMAIN_PROBLEMS[type(exc)]
    errors = [FieldError(field=mapped.field, message=mapped.detail)] if mapped.field else None
    return problem_response(request, Problem(mapped.kind, mapped.detail, errors=errors))


def handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[ProblemBody]:
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


def handle_service_call_failed(
    request: Request[Any, Any, Any], exc: ServiceCallFailed
) -> Response[ProblemBody]:
    field = _REST_FIELDS.get(exc.field, exc.field)
    if field == "cursor":
        return problem_response(
            request, Problem(INVALID_CURSOR, "Use a cursor from a previous page, unchanged.")
        )
    kind = SERVICE_PROBLEMS.get(exc.status)
    reason = SERVICE_REASONS.get(exc.reason)
    if kind is not None and reason is not None and reason.status == kind.status:
        kind = reason
    if kind is None:
        log.error("request %s: %s", request_id_of(request), exc)
        detail = "A service failed; quote the request_id when reporting it."
        return problem_response(request, Problem(BAD_GATEWAY, detail))
    if exc.status in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
        log.warning("request %s: %s", request_id_of(request), exc)
        detail = f"The {exc.service} service is unavailable; nothing was changed. Retry shortly."
        if exc.status is grpc.StatusCode.DEADLINE_EXCEEDED:
            detail = f"The {exc.service} service did not answer in time. Retry shortly."
        return problem_response(request, Problem(kind, detail, headers={"Retry-After": "2"}))
    errors = [FieldError(field=field, message=exc.detail)] if field else None
    return problem_response(request, Problem(kind, exc.detail or None, errors=errors))


def handle_database_unavailable(request: Request[Any, Any, Any], exc: Exception) -> Response[ProblemBody]:
    # Nothing was written (the statement never ran or its transaction rolled back): safe to retry.
    log.warning("database unavailable in request %s: %r", request_id_of(request), exc)
    detail = "A database is unavailable; nothing was changed. Retry shortly."
    return problem_response(request, Problem(HTTP_PROBLEMS[503], detail, headers={"Retry-After": "5"}))


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[ProblemBody]:
    # The trace goes to the log, keyed by request id; the client gets the id and nothing internal.
    log.exception("unhandled error in request %s", request_id_of(request), exc_info=exc)
    detail = "Something went wrong on our side; quote the request_id when reporting it."
    return problem_response(request, Problem(INTERNAL_ERROR, detail))


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    Problem: handle_problem,
    HTTPException: handle_http_exception,
    ServiceCallFailed: handle_service_call_failed,
    # The pool cannot reach PostgreSQL (refused, reset, restarting, out of connections).
    OSError: handle_database_unavailable,
    asyncpg.PostgresConnectionError: handle_database_unavailable,
    asyncpg.CannotConnectNowError: handle_database_unavailable,
    asyncpg.TooManyConnectionsError: handle_database_unavailable,
    asyncpg.InterfaceError: handle_database_unavailable,
    Exception: handle_unexpected,
    **dict.fromkeys(DOMAIN_PROBLEMS, handle_domain_error),
}
