"""Piccolo tables of moderation: the audit log."""

from __future__ import annotations

from piccolo.columns import JSONB, UUID, Text, Timestamptz, Varchar
from piccolo.table import Table


class AuditEntry(Table, tablename="audit_log"):
    """One staff action, written in the transaction of the action itself. Append-only: a trigger (the
    "moderation" migration) refuses every UPDATE, DELETE and TRUNCATE, and no API changes an entry.

    ``actor_id`` is not a foreign key, and the actor's username is copied: the log outlives whatever
    happens to the accounts it names. It is null for the command line on the server."""

    id = UUID(primary_key=True)  # a UUIDv7: entries sort by time
    at = Timestamptz(null=False)
    actor_id = UUID(null=True, default=None)
    actor_username = Varchar(length=30, null=False, default="")
    action = Varchar(length=32, null=False)
    target_type = Varchar(length=16, null=False)
    target_id = Varchar(length=64, null=False)
    reason = Text(null=False, default="")
    before = JSONB(null=False, default="{}")
    after = JSONB(null=False, default="{}")
