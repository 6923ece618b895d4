"""Piccolo tables for login sessions and their rotating refresh tokens."""

from __future__ import annotations

from piccolo.columns import UUID, BigSerial, ForeignKey, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from gateway.users.tables import User


class AuthSession(Table, tablename="auth_sessions"):
    """One login: the family of every refresh token rotated from it. Revoking it ends them all, and
    access tokens carry its id, so a revoked session stops authenticating at once."""

    id = UUID(primary_key=True)
    user_id = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False, index=True)
    created_at = Timestamptz(default=TimestamptzNow(), null=False)
    revoked_at = Timestamptz(default=None, null=True)
    revoked_reason = Varchar(length=32, default="", null=False)


class RefreshToken(Table, tablename="refresh_tokens"):
    """A refresh token, stored only as its SHA-256. ``used_at`` is set when it is rotated; presenting a
    used token again is a replay and revokes the session."""

    id = BigSerial(primary_key=True)
    token_hash = Varchar(length=64, unique=True, null=False)
    session_id = ForeignKey(references=AuthSession, on_delete=OnDelete.cascade, null=False, index=True)
    issued_at = Timestamptz(default=TimestamptzNow(), null=False)
    expires_at = Timestamptz(null=False)
    used_at = Timestamptz(default=None, null=True)
