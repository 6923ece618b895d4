"""Errors with meaning, in a few families that every process maps in one place.

A domain names what happened (``UsernameTaken``, ``PostNotFound``) by subclassing one family and
giving it a stable ``code``, a ``title``, a default ``detail`` and, where one input is at fault, the
``field``. Each edge maps only the families: the gateway to HTTP statuses (``gateway/errors.py``), a
gRPC server to status codes (:mod:`servicekit.grpc_server`), and a gRPC client back from status codes
(``gateway/clients``). So a new domain adds its errors without editing a central table.

::

    FlockError
    ├── Malformed        the input cannot be read (a cursor we did not give out)  400 INVALID_ARGUMENT
    ├── Invalid          the input is readable but breaks a rule  422 INVALID_ARGUMENT
    ├── Unauthenticated  the operation needs a signed-in caller  401 UNAUTHENTICATED
    ├── Forbidden        the caller is known, and may not do this  403 PERMISSION_DENIED
    ├── NotFound         no such thing, or the caller may not know it exists  404 NOT_FOUND
    ├── Gone             it existed and was removed (told only to whom it concerns)  410 NOT_FOUND
    ├── Conflict         the current state does not allow it (taken, already done)  409 ALREADY_EXISTS
    ├── RateLimited      too many attempts; try later  429 RESOURCE_EXHAUSTED
    ├── Unavailable      a dependency is out of reach; nothing was changed, retry  503 UNAVAILABLE
    │   ├── OutcomeUnknown  a write reached a dependency that stopped answering: it may or may not
    │   │                have been made; repeat it with the same idempotency key  503 UNAVAILABLE
    │   └── TimedOut     a dependency did not answer in time  504 DEADLINE_EXCEEDED
    └── Failed           a dependency broke (our fault); quote the request id  502 INTERNAL
"""

from __future__ import annotations

from typing import ClassVar


class FlockError(Exception):
    """Base of every error a caller can be told about. ``str(error)`` is the human detail."""

    code: str = "error"
    title: ClassVar[str] = "Error"
    detail: ClassVar[str] = ""
    field: str = ""
    # The problem type's name where a contract fixed one that differs from ``code`` (by default the
    # two are the same): ``account-suspended`` for ``account_suspended``.
    type_name: ClassVar[str] = ""

    def __init__(
        self,
        detail: str | None = None,
        *,
        field: str | None = None,
        code: str | None = None,
        extensions: dict[str, object] | None = None,
    ) -> None:
        super().__init__(detail or self.detail or f"{self.title}.")
        # Members the problem body carries besides the standard ones (RFC 9457 "extension members"):
        # what a client needs to act on it, such as when a suspension ends.
        self.extensions: dict[str, object] = extensions or {}
        if field is not None:
            self.field = field
        if code is not None:
            # An error relayed from another service keeps that service's stable code.
            self.code = code


class Malformed(FlockError):
    code = "bad_request"
    title = "Bad request"


class Invalid(FlockError):
    code = "validation_failed"
    title = "The request is not valid"


class Unauthenticated(FlockError):
    code = "unauthenticated"
    title = "Authentication is required"


class Forbidden(FlockError):
    code = "forbidden"
    title = "Forbidden"


class NotFound(FlockError):
    code = "not_found"
    title = "Not found"


class Gone(FlockError):
    """It existed, and was removed for good (a post removed by moderation, told to its author). Over
    gRPC it is a NOT_FOUND whose reason code names the finer error."""

    code = "gone"
    title = "Gone"


class Conflict(FlockError):
    code = "conflict"
    title = "Conflict"


class RateLimited(FlockError):
    code = "rate_limited"
    title = "Too many requests"


class Unavailable(FlockError):
    """A dependency is out of reach; the request may be sent again after ``retry_after`` seconds. An
    ``Unavailable`` itself means nothing was changed; its members say what they know instead."""

    code = "unavailable"
    title = "Service unavailable"
    retry_after: float = 2.0


class OutcomeUnknown(Unavailable):
    """A write reached a dependency and the connection broke (or the deadline passed) before it
    answered: the change may or may not have been made. Repeating it is safe only when it is
    idempotent or carries the same idempotency key."""

    code = "outcome_unknown"
    title = "The outcome is unknown"
    retry_after: float = 1.0


class TimedOut(Unavailable):
    code = "timeout"
    title = "A service took too long to answer"


class Failed(FlockError):
    code = "bad_gateway"
    title = "A service failed"


FAMILIES: tuple[type[FlockError], ...] = (
    Malformed,
    Invalid,
    Unauthenticated,
    Forbidden,
    NotFound,
    Gone,
    Conflict,
    RateLimited,
    TimedOut,
    Unavailable,
    Failed,
)


def family_of(error: FlockError | type[FlockError]) -> type[FlockError]:
    """The family ``error`` belongs to (the most specific one, for :class:`TimedOut`)."""
    kind = error if isinstance(error, type) else type(error)
    for family in kind.__mro__:
        if family in FAMILIES:
            return family
    return FlockError


def every_error() -> list[type[FlockError]]:
    """Every error class defined so far (in the modules imported), families included."""
    found: list[type[FlockError]] = []
    pending: list[type[FlockError]] = [FlockError]
    while pending:
        kind = pending.pop()
        found.append(kind)
        pending.extend(kind.__subclasses__())
    return found
