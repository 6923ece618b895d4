"""Piccolo tables for accounts."""

from __future__ import annotations

from piccolo.columns import UUID, Boolean, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class User(Table, tablename="users"):
    """An account. ``username`` and ``email`` are stored lower-cased, which makes them unique
    case-insensitively through plain unique indexes."""

    id = UUID(primary_key=True)
    username = Varchar(length=30, unique=True, null=False)
    email = Varchar(length=254, unique=True, null=False)
    password_hash = Text(null=False)
    display_name = Varchar(length=50, default="", null=False)
    bio = Varchar(length=300, default="", null=False)
    is_private = Boolean(default=False, null=False)
    role = Varchar(length=16, default="user", null=False)
    created_at = Timestamptz(default=TimestamptzNow(), null=False)
    updated_at = Timestamptz(default=TimestamptzNow(), null=False)
