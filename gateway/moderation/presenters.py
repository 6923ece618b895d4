"""Moderation's records as HTTP schemas."""

from __future__ import annotations

import msgspec

from gateway.moderation import audit
from gateway.moderation.schemas import AdminUser, AuditEntry
from gateway.moderation.service import StaffView


def admin_user(view: StaffView) -> AdminUser:
    account = view.account
    return AdminUser(
        id=account.id,
        username=account.username,
        email=account.email,
        display_name=account.display_name,
        role=account.role,  # type: ignore[arg-type]
        status=view.effective_status,
        suspended_until=account.suspended_until if view.effective_status == "suspended" else None,
        status_reason=account.status_reason,
        status_changed_at=view.status_changed_at,
        email_verified=account.email_verified,
        is_private=account.is_private,
        created_at=account.created_at,
        post_count=view.post_count,
        follower_count=view.follower_count,
        following_count=view.following_count,
    )


def audit_entry(entry: audit.Entry) -> AuditEntry:
    return msgspec.convert(entry, AuditEntry, from_attributes=True)
