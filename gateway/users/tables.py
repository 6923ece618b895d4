"""Piccolo tables for accounts."""

from __future__ import annotations

from piccolo.columns import UUID, BigInt, Boolean, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Check
from piccolo.table import Table


class User(Table, tablename="users"):
    """An account. ``username`` and ``email`` are stored lower-cased, which makes them unique
    case-insensitively through plain unique indexes.

    ``status`` is what staff made of it (``gateway/users/status.py``): a suspension ends by itself at
    ``suspended_until`` (null: permanent), read by comparing with the clock, so the row may still say
    ``suspended`` after it ended. ``status_version`` counts the changes, for the consumers of the
    account events. A deleted account keeps its row (and so its username, for 30 days).
    """

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
    status = Varchar(length=16, default="active", null=False)
    suspended_until = Timestamptz(default=None, null=True)
    status_reason = Text(default="", null=False)
    status_changed_at = Timestamptz(default=None, null=True)
    status_changed_by = UUID(default=None, null=True)
    status_version = BigInt(default=0, null=False)
    # Counts the changes of the account's blocks and mutes: the version of their events.
    relations_version = BigInt(default=0, null=False)
    email_verified = Boolean(default=False, null=False)
    # A new address waiting for its verification before it replaces ``email``.
    pending_email = Varchar(length=254, default=None, null=True)
    # Mail about new posts of followed accounts: 'instant', 'daily' (one digest) or 'off'.
    email_new_posts = Varchar(length=8, default="instant", null=False)
    # When the last daily digest went out (its next one is due a day later).
    digest_sent_at = Timestamptz(default=None, null=True)
    deleted_at = Timestamptz(default=None, null=True)

    known_role = Check("role IN ('user', 'moderator', 'admin')")
    known_email_new_posts = Check("email_new_posts IN ('instant', 'daily', 'off')")
    known_status = Check("status IN ('active', 'suspended', 'disabled', 'deleted')")
