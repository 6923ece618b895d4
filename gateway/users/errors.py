"""What the graph, blocks and profiles all say of an account that is not there (for the caller): a
module of its own, which every domain may import without importing the others."""

from __future__ import annotations

from servicekit.errors import NotFound


class UserNotFound(NotFound):
    """No account has this id or username."""

    code = "user_not_found"
    title = "User not found"
    detail = "No such user."
