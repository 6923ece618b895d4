"""Reports: any member reports a post, a comment or an account; staff decide.

A report names content the reporter can see when filing it (or an account they can see), and its
owner is recorded then. One open report per reporter and target: a second one is refused with the
first one's id (the partial unique index decides, whatever the concurrency). Staff read the queue
oldest first, with the reported content as it is now (hidden or not; a gone one says so), and decide:
resolve with an action (``none``, ``delete_content``, ``suspend`` the owner) or dismiss, always with a
note. A decision closes every open report on the same target, and is written to the audit log in
the transaction that makes it (with the action's own entry).
"""

from __future__ import annotations

import dataclasses
import datetime
import uuid
from typing import Any, Literal

import asyncpg
from uuid_utils.compat import uuid7

from gateway.clients.posts import CommentNotFound, CommentRecord, PostNotFound, PostRecord, PostsClient
from gateway.moderation import audit
from gateway.moderation.service import Moderation, Suspension, actor_of, clean_reason
from gateway.users.errors import UserNotFound
from gateway.users.service import Account, Accounts
from servicekit import cursors
from servicekit.database import Database
from servicekit.errors import Conflict, FlockError, Invalid, NotFound

TargetType = Literal["post", "comment", "account"]
Category = Literal["spam", "abuse", "illegal", "other"]
ReportStatus = Literal["open", "resolved", "dismissed"]
Action = Literal["none", "delete_content", "suspend"]
MAX_TEXT = 1000


class ReportTargetNotFound(Invalid):
    code = "report_target_not_found"
    title = "Nothing to report there"
    detail = "`target_id` names no post, comment or account you can see."
    field = "target_id"


class CannotReportYourself(Invalid):
    code = "cannot_report_yourself"
    title = "Cannot report yourself"
    detail = "You cannot report your own account or content."
    field = "target_id"


class ReportExists(Conflict):
    code = "report_exists"
    title = "Already reported"
    detail = "You have an open report of this already; its id is `report_id`."


class ReportNotFound(NotFound):
    code = "report_not_found"
    title = "Report not found"
    detail = "No such report."


class ReportDecided(Conflict):
    code = "report_decided"
    title = "Report decided"
    detail = "This report has been decided already."


class NoContentToDelete(Invalid):
    code = "no_content_to_delete"
    title = "No content to delete"
    detail = "An account is not content: suspend it instead (`action: suspend`)."
    field = "action"


@dataclasses.dataclass(frozen=True, slots=True)
class ReportRecord:
    id: uuid.UUID
    reporter_id: uuid.UUID
    target_type: TargetType
    target_id: uuid.UUID
    account_id: uuid.UUID
    category: Category
    text: str
    status: ReportStatus
    created_at: datetime.datetime
    decided_at: datetime.datetime | None
    decided_by: uuid.UUID | None
    action: str
    note: str


@dataclasses.dataclass(frozen=True, slots=True)
class ReportDetail:
    """A report with what it is about, as it is now: None where the content is gone."""

    report: ReportRecord
    post: PostRecord | None = None
    comment: CommentRecord | None = None
    account: Account | None = None


_COLUMNS = (
    "id, reporter_id, target_type, target_id, account_id, category, text, status, created_at,"
    " decided_at, decided_by, action, note"
)
_INSERT = f"""
INSERT INTO reports (id, reporter_id, target_type, target_id, account_id, category, text, status, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8)
RETURNING {_COLUMNS}
"""  # noqa: S608 - constants
_OPEN_ONE = """
SELECT id FROM reports WHERE reporter_id = $1 AND target_type = $2 AND target_id = $3 AND status = 'open'
"""
_MINE = f"""
SELECT {_COLUMNS} FROM reports WHERE reporter_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3
"""  # noqa: S608 - constants
_QUEUE = f"""
SELECT {_COLUMNS} FROM reports WHERE status = $1 AND id > $2 ORDER BY id LIMIT $3
"""  # noqa: S608 - constants
_ONE = f"SELECT {_COLUMNS} FROM reports WHERE id = $1"  # noqa: S608 - constants
_LOCK = f"SELECT {_COLUMNS} FROM reports WHERE id = $1 FOR UPDATE"  # noqa: S608 - constants
# Every open report on the target goes with the decision (the one decided included).
_DECIDE = f"""
UPDATE reports SET status = $3, decided_at = now(), decided_by = $4, action = $5, note = $6
WHERE target_type = $1 AND target_id = $2 AND status = 'open'
RETURNING {_COLUMNS}
"""  # noqa: S608 - constants
_OLDEST = uuid.UUID(int=0)
_NEWEST = uuid.UUID(int=(1 << 128) - 1)


def _record(row: Any) -> ReportRecord:
    return ReportRecord(**{field.name: row[field.name] for field in dataclasses.fields(ReportRecord)})


def _page(rows: list[Any], limit: int, list_name: str) -> tuple[list[ReportRecord], str | None]:
    found = [_record(row) for row in rows[:limit]]
    more = len(rows) > limit
    return found, cursors.encode_for(list_name, found[-1].id) if more else None


class Reports:
    """Reports on plain values; the posts client is bound to the request's caller."""

    def __init__(self, database: Database, posts: PostsClient, accounts: Accounts) -> None:
        self._database = database
        self._posts = posts
        self._accounts = accounts

    async def file(
        self, reporter: Account, target_type: TargetType, target_id: uuid.UUID, category: Category, text: str
    ) -> ReportRecord:
        """Report something the reporter can see now."""
        owner = await self._owner(target_type, target_id)
        if owner == reporter.id:
            raise CannotReportYourself()
        try:
            row = await self._database.fetchrow(
                _INSERT,
                uuid7(),
                reporter.id,
                target_type,
                target_id,
                owner,
                category,
                text.strip(),
                datetime.datetime.now(tz=datetime.UTC),
            )
        except asyncpg.UniqueViolationError:
            existing = await self._database.fetchrow(_OPEN_ONE, reporter.id, target_type, target_id)
            report_id = str(existing["id"]) if existing else None
            raise ReportExists(extensions={"report_id": report_id}) from None
        return _record(row)

    async def _owner(self, target_type: TargetType, target_id: uuid.UUID) -> uuid.UUID:
        """Whose the target is, as the reporter sees it; :class:`ReportTargetNotFound` if they cannot."""
        try:
            if target_type == "post":
                return (await self._posts.get_post(target_id)).author_id
            if target_type == "comment":
                return (await self._posts.get_comment(target_id)).author_id
            account = await self._accounts.get(target_id)
        except (PostNotFound, CommentNotFound, UserNotFound):
            raise ReportTargetNotFound() from None
        if account.state.hidden():
            raise ReportTargetNotFound()
        return account.id

    async def mine(
        self, reporter_id: uuid.UUID, limit: int, cursor: str | None
    ) -> tuple[list[ReportRecord], str | None]:
        """The reporter's reports, newest first."""
        list_name = cursors.list_id("my-reports", reporter_id)
        after = _NEWEST if cursor is None else cursors.decode_for(list_name, cursor, uuid.UUID)
        rows = await self._database.fetch(_MINE, reporter_id, after, limit + 1)
        return _page(rows, limit, list_name)

    async def queue(
        self, status: ReportStatus, limit: int, cursor: str | None
    ) -> tuple[list[ReportRecord], str | None]:
        """Reports in ``status``, oldest first (staff)."""
        list_name = cursors.list_id("report-queue", status)
        after = _OLDEST if cursor is None else cursors.decode_for(list_name, cursor, uuid.UUID)
        rows = await self._database.fetch(_QUEUE, status, after, limit + 1)
        return _page(rows, limit, list_name)

    async def detail(self, report_id: uuid.UUID) -> ReportDetail:
        """A report with its content as it is now, hidden or not (staff: the posts client is bound to
        a staff caller, who may read anything)."""
        row = await self._database.fetchrow(_ONE, report_id)
        if row is None:
            raise ReportNotFound()
        report = _record(row)
        try:
            if report.target_type == "post":
                return ReportDetail(report, post=await self._posts.get_post(report.target_id))
            if report.target_type == "comment":
                return ReportDetail(report, comment=await self._posts.get_comment(report.target_id))
            return ReportDetail(report, account=await self._accounts.get(report.target_id))
        except (PostNotFound, CommentNotFound, UserNotFound):
            return ReportDetail(report)  # gone since
        except FlockError as error:
            if error.code == "post_removed":  # removed by moderation since: gone for this purpose
                return ReportDetail(report)
            raise

    async def resolve(
        self,
        moderation: Moderation,
        actor: Account,
        report_id: uuid.UUID,
        *,
        action: Action,
        note: str | None,
        suspension: Suspension | None = None,
    ) -> ReportRecord:
        """Decide a report with an action, in one transaction with the action and its audit entries."""
        note = clean_reason(note)
        if action == "suspend":
            moderation.check_suspension(suspension or Suspension(), note)
        async with self._database.transaction() as connection:
            report = await self._lock_open(connection, report_id)
            if action == "delete_content":
                if report.target_type == "post":
                    await moderation.remove_post(report.target_id, note, connection=connection)
                elif report.target_type == "comment":
                    await moderation.remove_comment(report.target_id, note, connection=connection)
                else:
                    raise NoContentToDelete()
            elif action == "suspend":
                target = await moderation.lock_account(connection, report.account_id)
                await moderation.suspend_locked(connection, target, suspension or Suspension(), note)
            return await self._decide(connection, actor, report, status="resolved", action=action, note=note)

    async def dismiss(self, actor: Account, report_id: uuid.UUID, note: str | None) -> ReportRecord:
        """Close a report with nothing done, and say why."""
        note = clean_reason(note)
        async with self._database.transaction() as connection:
            report = await self._lock_open(connection, report_id)
            return await self._decide(
                connection, actor, report, status="dismissed", action="dismissed", note=note
            )

    async def _lock_open(self, connection: Any, report_id: uuid.UUID) -> ReportRecord:
        row = await connection.fetchrow(_LOCK, report_id)
        if row is None:
            raise ReportNotFound()
        report = _record(row)
        if report.status != "open":
            raise ReportDecided()
        return report

    async def _decide(
        self,
        connection: Any,
        actor: Account,
        report: ReportRecord,
        *,
        status: ReportStatus,
        action: str,
        note: str,
    ) -> ReportRecord:
        rows = await connection.fetch(
            _DECIDE, report.target_type, report.target_id, status, actor.id, action, note
        )
        decided = [_record(row) for row in rows]
        await audit.record(
            connection,
            actor_of(actor),
            "report_resolve" if status == "resolved" else "report_dismiss",
            "report",
            report.id,
            reason=note,
            before={"status": "open", "target_type": report.target_type, "target_id": str(report.target_id)},
            after={"status": status, "action": action, "reports_closed": [str(r.id) for r in decided]},
        )
        return next(r for r in decided if r.id == report.id)
