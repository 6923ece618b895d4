"""Piccolo tables of the mail that proves or recovers an account."""

from __future__ import annotations

from piccolo.columns import ForeignKey, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Check
from piccolo.table import Table

from gateway.users.tables import User


class EmailToken(Table, tablename="email_tokens"):
    """A single-use token mailed to an address: to verify it (``verify_email``) or to set a new
    password (``password_reset``). Stored only as its SHA-256; used once (``used_at``), then void."""

    token_hash = Varchar(length=64, primary_key=True)
    user_id = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False)
    purpose = Varchar(length=16, null=False)
    # The address it was sent to: verifying it makes this the account's address.
    email = Varchar(length=254, null=False)
    created_at = Timestamptz(null=False, default=TimestamptzNow())
    expires_at = Timestamptz(null=False)
    used_at = Timestamptz(null=True, default=None)

    known_purpose = Check("purpose IN ('verify_email', 'password_reset')")
