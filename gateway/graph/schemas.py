"""HTTP schemas for follows, requests and relationships."""

from __future__ import annotations

import datetime

import msgspec

from gateway.http.schemas import Author


class Relationship(msgspec.Struct, kw_only=True):
    """How I and another account are linked, both ways: ``following`` (I follow them),
    ``followed_by`` (they follow me), ``requested`` (my request to follow them waits for their answer),
    ``requested_by`` (their request to follow me waits for mine), ``blocking`` (I block them),
    ``blocked_by`` (they block me), ``muting`` (I mute them now) and ``muting_notifications`` (their
    notifications too)."""

    following: bool
    followed_by: bool
    requested: bool
    requested_by: bool
    blocking: bool
    blocked_by: bool
    muting: bool
    muting_notifications: bool


class ListedAccount(msgspec.Struct, kw_only=True):
    """An account in a list of followers, following or requests, and ``since`` when it is there (the
    follow accepted, or the request made)."""

    user: Author
    since: datetime.datetime


class AccountPage(msgspec.Struct, kw_only=True):
    """A page of accounts, most recent first; pass ``next_cursor`` as ``cursor`` for the next one (null on
    the last page)."""

    items: list[ListedAccount]
    next_cursor: str | None


class Handled(msgspec.Struct, kw_only=True):
    """How many requests a bulk accept or reject handled."""

    count: int
