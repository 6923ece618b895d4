"""HTTP schemas of reports: filing one, one's own, and the staff queue with decisions."""

from __future__ import annotations

import datetime
import uuid
from typing import Annotated, Literal

import msgspec

from gateway.moderation.schemas import AdminUser, Duration, Reason
from gateway.posts.schemas import Comment, Post

TargetType = Literal["post", "comment", "account"]
Category = Literal["spam", "abuse", "illegal", "other"]
ReportStatus = Literal["open", "resolved", "dismissed"]
Action = Literal["none", "delete_content", "suspend"]
ReportText = Annotated[
    str,
    msgspec.Meta(
        max_length=1000,
        pattern=r"^[^\x00]*$",
        description="What is wrong, in the reporter's words (up to 1000 characters).",
    ),
]


class ReportCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Report a post, a comment or an account (``target_id``: the post's, comment's or account's id)."""

    target_type: TargetType
    target_id: uuid.UUID
    category: Category
    text: ReportText = ""


class Report(msgspec.Struct, kw_only=True):
    """A report, as its reporter sees it: what, why, and where it stands."""

    id: uuid.UUID
    target_type: TargetType
    target_id: uuid.UUID
    category: Category
    text: str
    status: ReportStatus
    created_at: datetime.datetime
    decided_at: datetime.datetime | None
    # What staff did: none, delete_content, suspend, or dismissed; empty while open.
    action: str


class ReportPage(msgspec.Struct, kw_only=True):
    items: list[Report]
    next_cursor: str | None


class AdminReport(Report, kw_only=True):
    """A report, as staff see it: also who filed it, whose content it is, and the decision's note."""

    reporter_id: uuid.UUID
    account_id: uuid.UUID
    decided_by: uuid.UUID | None
    note: str


class AdminReportPage(msgspec.Struct, kw_only=True):
    """A page of the queue, oldest first."""

    items: list[AdminReport]
    next_cursor: str | None


class AdminReportDetail(AdminReport, kw_only=True):
    """A report with the reported content as it is now, hidden or not: the ``post``, ``comment`` or
    ``account`` it names; all null when the content is gone."""

    post: Post | None = None
    comment: Comment | None = None
    account: AdminUser | None = None


class ReportResolution(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Resolve a report: ``none`` (nothing to do), ``delete_content`` (the post or comment), or
    ``suspend`` the content's owner (then exactly one of ``duration``, ``until`` or ``permanent``).
    Every open report on the same target is closed with it."""

    action: Action
    note: Reason
    duration: Duration | None = None
    until: datetime.datetime | None = None
    permanent: bool = False


class ReportDismissal(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    note: Reason
