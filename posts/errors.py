"""What can go wrong, as values with meaning. The servicer maps each to a gRPC status in one place."""

from __future__ import annotations


class PostsError(Exception):
    """Base of the errors a caller can cause; ``str(error)`` is the message for humans and ``reason``
    a stable code for machines (sent as trailing metadata ``flock-reason``)."""

    reason = "error"


class InvalidArgument(PostsError):
    """A request field is malformed or out of range; ``field`` names it (``text``, ``caller.user_id``)."""

    reason = "invalid_argument"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class NotSignedIn(PostsError):
    """The operation needs a caller and the request is anonymous."""

    reason = "unauthenticated"

    def __init__(self) -> None:
        super().__init__("Sign in to do this.")


class PostNotFound(PostsError):
    """The post does not exist, or the caller may not see it: the two look the same."""

    reason = "post_not_found"

    def __init__(self) -> None:
        super().__init__("No such post.")


class CommentNotFound(PostsError):
    """The comment does not exist, or does not belong to the post named with it."""

    reason = "comment_not_found"

    def __init__(self) -> None:
        super().__init__("No such comment on this post.")


class NotAllowed(PostsError):
    """The caller can see the post or comment but may not do this to it."""

    reason = "forbidden"


class IdempotencyKeyReused(PostsError):
    """An idempotency key came back with a different post."""

    field = "idempotency_key"
    reason = "idempotency_key_reused"

    def __init__(self) -> None:
        super().__init__("This idempotency key was used for a different post within the last 24 hours.")
