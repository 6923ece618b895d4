"""HTTP schemas of the admin API: accounts as staff see them, staff actions, the audit log."""

from __future__ import annotations

import datetime
import uuid
from typing import Annotated, Any, Literal

import msgspec

Reason = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=500,
        description="Why: 1–500 characters, kept in the audit log (and shown to a suspended member).",
        examples=["Spam: the same link in 40 comments"],
    ),
]
RoleName = Literal["user", "moderator", "admin"]
StatusName = Literal["active", "suspended", "disabled", "deleted"]
# Up to 100 years, in seconds.
Duration = Annotated[int, msgspec.Meta(ge=1, le=100 * 365 * 86400, description="Seconds from now.")]


class AdminUser(msgspec.Struct, kw_only=True):
    """An account as staff see it. ``status`` is as it stands now: a suspension whose
    ``suspended_until`` has passed reads ``active``."""

    id: uuid.UUID
    username: str
    email: str
    display_name: str
    role: RoleName
    status: StatusName
    suspended_until: datetime.datetime | None
    status_reason: str
    status_changed_at: datetime.datetime | None
    email_verified: bool  # the account followed the link mailed to its address
    is_private: bool
    created_at: datetime.datetime
    post_count: int | None  # null while the posts service is out of reach
    follower_count: int
    following_count: int


class AdminUserPage(msgspec.Struct, kw_only=True):
    """A page of accounts by username; pass ``next_cursor`` as ``cursor`` for the next (null: last)."""

    items: list[AdminUser]
    next_cursor: str | None


class SuspendRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Suspend an account: exactly one of ``duration`` (seconds), ``until`` (a future time) or
    ``permanent: true`` (admins only). It ends by itself at its end time."""

    reason: Reason
    duration: Duration | None = None
    until: datetime.datetime | None = None
    permanent: bool = False


class StaffAction(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """An action that needs only a reason (lift a suspension, disable, reactivate, remove content)."""

    reason: Reason


class RoleChange(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    role: RoleName
    reason: Reason


class Dashboard(msgspec.Struct, kw_only=True):
    """The figures on the admin panel's first page; ``posts_today`` counts since midnight UTC (null
    while the posts service is out of reach)."""

    accounts: int
    active_accounts: int
    suspended_accounts: int
    disabled_accounts: int
    posts_today: int | None
    open_reports: int


class AuditEntry(msgspec.Struct, kw_only=True):
    """One staff action: who (null ``actor_id``: the server's command line), what, on what, why, and
    the state before and after."""

    id: uuid.UUID
    at: datetime.datetime
    actor_id: uuid.UUID | None
    actor_username: str
    action: str
    target_type: str
    target_id: str
    reason: str
    before: dict[str, Any]
    after: dict[str, Any]


class AuditPage(msgspec.Struct, kw_only=True):
    """A page of the audit log, newest first."""

    items: list[AuditEntry]
    next_cursor: str | None
