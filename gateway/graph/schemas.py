"""HTTP schemas for follows, requests and relationships."""

from __future__ import annotations

import datetime

import msgspec

from gateway.posts.schemas import Author


class Relationship(msgspec.Struct, kw_only=True):
    """How I and another account are linked, both ways."""

    following: bool  # I follow them
    followed_by: bool  # they follow me
    requested: bool  # my request to follow them waits for their answer
    requested_by: bool  # their request to follow me waits for mine


class Connection(msgspec.Struct, kw_only=True):
    """An account in a list of followers, following or requests, and since when it is there."""

    user: Author
    since: datetime.datetime


class ConnectionPage(msgspec.Struct, kw_only=True):
    """A page of accounts, most recent first; pass ``next_cursor`` as ``cursor`` for the next one."""

    items: list[Connection]
    next_cursor: str | None


class Handled(msgspec.Struct, kw_only=True):
    """How many requests a bulk accept or reject handled."""

    count: int
