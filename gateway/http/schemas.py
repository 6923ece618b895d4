"""Response schemas that more than one domain shows."""

from __future__ import annotations

import uuid

import msgspec


class Author(msgspec.Struct, kw_only=True):
    """Who wrote a post or comment."""

    id: uuid.UUID
    username: str
    display_name: str
