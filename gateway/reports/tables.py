"""Piccolo tables of reports."""

from __future__ import annotations

from piccolo.columns import UUID, ForeignKey, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.constraints import Check
from piccolo.table import Table

from gateway.users.tables import User


class Report(Table, tablename="reports"):
    """A member's report of a post, a comment or an account, and what staff decided.

    One open report per reporter and target: a partial unique index (the "moderation" migration)
    says so, whatever the concurrency. ``account_id`` is the owner of the reported content, found
    when the report was filed (the author of the post or comment, or the account itself)."""

    id = UUID(primary_key=True)  # a UUIDv7: the queue pages by it, oldest first
    reporter_id = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False)
    target_type = Varchar(length=16, null=False)
    target_id = UUID(null=False)
    account_id = UUID(null=False)
    category = Varchar(length=16, null=False)
    text = Text(null=False, default="")
    status = Varchar(length=16, null=False, default="open")
    created_at = Timestamptz(null=False)
    decided_at = Timestamptz(null=True, default=None)
    decided_by = UUID(null=True, default=None)
    action = Varchar(length=32, null=False, default="")
    note = Text(null=False, default="")

    known_target = Check("target_type IN ('post', 'comment', 'account')")
    known_category = Check("category IN ('spam', 'abuse', 'illegal', 'other')")
    known_status = Check("status IN ('open', 'resolved', 'dismissed')")
