"""What can go wrong, as values with meaning. Each error belongs to a :mod:`servicekit.errors` family,
which the gRPC guard maps to a status; its ``code`` (sent as trailing metadata ``flock-reason``) is
the stable reason callers act on, and ``str(error)`` the message for humans."""

from __future__ import annotations

from idl.flock import wire
from servicekit.errors import Conflict, Forbidden, Gone, Invalid, NotFound, Unauthenticated


class InvalidArgument(Invalid):
    """A request field is malformed or out of range; ``field`` names it (``text``, ``caller.user_id``)."""

    code = wire.INVALID_ARGUMENT

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, field=field)


class NotSignedIn(Unauthenticated):
    """The operation needs a caller and the request is anonymous."""

    code = wire.UNAUTHENTICATED
    detail = "Sign in to do this."


class PostNotFound(NotFound):
    """The post does not exist, or the caller may not see it: the two look the same."""

    code = wire.POST_NOT_FOUND
    detail = "No such post."


class PostRemoved(Gone):
    """A moderator removed the post: told to its author alone (anyone else gets :class:`PostNotFound`),
    with the moderator's reason in the message."""

    code = wire.POST_REMOVED
    detail = "A moderator removed this post."


class CommentNotFound(NotFound):
    """The comment does not exist, or does not belong to the post named with it."""

    code = wire.COMMENT_NOT_FOUND
    detail = "No such comment on this post."


class NotAllowed(Forbidden):
    """The caller can see the post or comment but may not do this to it."""

    code = wire.FORBIDDEN


class IdempotencyKeyReused(Conflict):
    """An idempotency key came back with a different request (another post, another comment)."""

    code = wire.IDEMPOTENCY_KEY_REUSED
    field = "idempotency_key"
    detail = "This idempotency key was used for a different request within the last 24 hours."
