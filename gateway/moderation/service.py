"""Moderation: what staff may do to accounts and content, each action with its audit entry in the
same transaction.

Who may do what:

- moderators suspend plain members for a period (``duration`` or ``until``), lift suspensions they
  made, and remove any post or comment, with a reason;
- admins also suspend permanently, disable, reactivate, lift any suspension, change roles, and act
  on moderators and other admins; the last admin cannot be demoted, suspended or disabled;
- nobody acts on themselves, and a deleted account is beyond moderation (409).

Role and status live in the ``users`` row, which authentication reads on every request: a change
counts from the affected account's next request, whatever tokens it holds (no cache to invalidate).
Content removal happens in the posts service: the gateway's transaction writes the audit entry and
commits only once the posts service has removed the content (see :meth:`Moderation.remove_post`).
"""

from __future__ import annotations

import dataclasses
import datetime
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from gateway.clients.posts import PostsClient
from gateway.moderation import audit
from gateway.notifications import moderation as moderation_notices
from gateway.users import status
from gateway.users.errors import UserNotFound
from gateway.users.service import ACCOUNT_COLUMNS, Account, normalize_username
from gateway.users.status import STAFF, Role
from servicekit import cursors
from servicekit.database import Connection, Database
from servicekit.errors import Conflict, Forbidden, Invalid, Unavailable

T = TypeVar("T")

MAX_REASON = 500
# The longest suspension a date can express sensibly; beyond it, suspend permanently.
MAX_SUSPENSION = datetime.timedelta(days=100 * 365)


class ReasonRequired(Invalid):
    code = "reason_required"
    title = "Reason required"
    detail = "Every staff action needs a `reason` (1–500 characters)."
    field = "reason"


class CannotModerateSelf(Invalid):
    code = "cannot_moderate_self"
    title = "Cannot moderate yourself"
    detail = "Staff cannot suspend, disable, reactivate or change the role of their own account."
    field = "username"


class SuspensionInPast(Invalid):
    code = "suspension_in_past"
    title = "Suspension ends in the past"
    detail = "`until` must be in the future (and `duration` at least one second)."
    field = "until"


class SuspensionTooLong(Invalid):
    code = "suspension_too_long"
    title = "Suspension too long"
    detail = "A suspension may last up to 100 years; beyond that, suspend permanently."
    field = "until"


class SuspensionPeriodRequired(Invalid):
    code = "suspension_period_required"
    title = "Suspension period required"
    detail = "Give exactly one of `duration` (seconds), `until` (a time) or `permanent: true`."
    field = "duration"


class LastAdmin(Conflict):
    code = "last_admin"
    title = "Last admin"
    detail = "This is the last admin: make another admin first."


class AccountDeleted(Conflict):
    code = "account_deleted"
    title = "Account deleted"
    detail = "The account was deleted by its owner; there is nothing left to moderate."


class NotSuspended(Conflict):
    code = "not_suspended"
    title = "Not suspended"
    detail = "The account is not suspended."


class NotDisabledOrSuspended(Conflict):
    code = "already_active"
    title = "Already active"
    detail = "The account is active already."


class ModeratorsActOnMembers(Forbidden):
    code = "moderators_act_on_members"
    title = "Members only"
    detail = "Moderators act on members; only admins act on moderators and admins."


class AdminsOnly(Forbidden):
    code = "admins_only"
    title = "Admins only"
    detail = "Only admins may do this (permanent suspensions, disabling, reactivating, roles)."


class NotYourSuspension(Forbidden):
    code = "not_your_suspension"
    title = "Not your suspension"
    detail = "Moderators may lift only the suspensions they made; an admin may lift any."


@dataclasses.dataclass(frozen=True, slots=True)
class Suspension:
    """How long: ``until`` (a time), ``duration`` (seconds from now) or ``permanent``."""

    until: datetime.datetime | None = None
    duration: int | None = None
    permanent: bool = False


@dataclasses.dataclass(frozen=True, slots=True)
class UserFilters:
    query: str | None = None  # a username or e-mail prefix
    status: status.Status | None = None
    role: Role | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class StaffView:
    """An account as staff see it: everything but the password, with its counts."""

    account: Account
    effective_status: status.Status
    status_changed_at: datetime.datetime | None
    status_changed_by: uuid.UUID | None
    follower_count: int
    following_count: int
    post_count: int | None  # None while the posts service is out of reach


@dataclasses.dataclass(frozen=True, slots=True)
class Dashboard:
    accounts: int
    active_accounts: int
    suspended_accounts: int
    disabled_accounts: int
    posts_today: int | None  # None while the posts service is out of reach
    open_reports: int


def clean_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text or len(text) > MAX_REASON:
        raise ReasonRequired()
    return text


def now() -> datetime.datetime:
    return datetime.datetime.now(tz=datetime.UTC)


def suspension_end(suspension: Suspension, at: datetime.datetime) -> datetime.datetime | None:
    """When a suspension ends (None: permanent); checks that exactly one period is given."""
    given = [suspension.until is not None, suspension.duration is not None, suspension.permanent]
    if sum(given) != 1:
        raise SuspensionPeriodRequired()
    if suspension.permanent:
        return None
    if suspension.duration is not None:
        if suspension.duration < 1:
            raise SuspensionInPast(field="duration")
        if datetime.timedelta(seconds=suspension.duration) > MAX_SUSPENSION:
            raise SuspensionTooLong(field="duration")
        return at + datetime.timedelta(seconds=suspension.duration)
    until = suspension.until or at
    if until.tzinfo is None:
        until = until.replace(tzinfo=datetime.UTC)
    if until <= at:
        raise SuspensionInPast()
    if until - at > MAX_SUSPENSION:
        raise SuspensionTooLong()
    return until


_ACCOUNT_FOR_UPDATE = f"SELECT {ACCOUNT_COLUMNS} FROM users WHERE username = $1 FOR UPDATE"  # noqa: S608
_ACCOUNT_BY_ID_FOR_UPDATE = f"SELECT {ACCOUNT_COLUMNS} FROM users WHERE id = $1 FOR UPDATE"  # noqa: S608
# Admins are counted under a lock on each of them, so two admins demoting each other at once cannot
# both succeed and leave none.
_ADMINS = "SELECT id FROM users WHERE role = 'admin' AND status = 'active' FOR UPDATE"
_SET_ROLE = "UPDATE users SET role = $2, updated_at = now() WHERE id = $1"
_STAFF_COLUMNS = f"{ACCOUNT_COLUMNS}, status_changed_at, status_changed_by"
_USER_BY_NAME = f"SELECT {_STAFF_COLUMNS} FROM users WHERE username = $1"  # noqa: S608
# The admin list: by username, a username or e-mail prefix, a status as it stands now, a role.
_USERS = f"""
SELECT {_STAFF_COLUMNS} FROM users
WHERE username > $1
  AND ($2::text IS NULL OR username LIKE $2 OR email LIKE $2)
  AND ($3::text IS NULL OR {status.effective_status_sql("users")} = $3)
  AND ($4::text IS NULL OR role = $4)
ORDER BY username
LIMIT $5
"""  # noqa: S608 - constants
_FOLLOW_COUNTS = """
SELECT u.id,
    (SELECT count(*) FROM follows WHERE followee_id = u.id AND status = 'accepted') AS followers,
    (SELECT count(*) FROM follows WHERE follower_id = u.id AND status = 'accepted') AS following
FROM unnest($1::uuid[]) AS u (id)
"""
_DASHBOARD = f"""
SELECT count(*) AS accounts,
    count(*) FILTER (WHERE {status.effective_status_sql("users")} = 'active') AS active,
    count(*) FILTER (WHERE {status.effective_status_sql("users")} = 'suspended') AS suspended,
    count(*) FILTER (WHERE status = 'disabled') AS disabled,
    (SELECT count(*) FROM reports WHERE status = 'open') AS open_reports
FROM users WHERE status <> 'deleted'
"""  # noqa: S608 - constants
_LIST_NAME = "admin-users"


def _like_prefix(text: str) -> str:
    escaped = text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def actor_of(account: Account) -> audit.Actor:
    return audit.Actor(account.id, account.username)


class Moderation:
    """Staff actions, on behalf of one staff member (``actor``); the posts client is bound to them."""

    def __init__(self, database: Database, posts: PostsClient, actor: Account) -> None:
        self._database = database
        self._posts = posts
        self._actor = actor

    @property
    def _is_admin(self) -> bool:
        return self._actor.role == "admin"

    # Accounts -----------------------------------------------------------------------------------

    async def _target(
        self, connection: Connection, username: str | None = None, account_id: uuid.UUID | None = None
    ) -> Account:
        """The account named ``username`` (or with id ``account_id``), locked for the change; checks
        that the actor may act on it."""
        if account_id is not None:
            row = await connection.fetchrow(_ACCOUNT_BY_ID_FOR_UPDATE, account_id)
        else:
            row = await connection.fetchrow(_ACCOUNT_FOR_UPDATE, normalize_username(username or ""))
        if row is None:
            raise UserNotFound()
        target = Account.from_row(row)
        if target.id == self._actor.id:
            raise CannotModerateSelf()
        if target.status == "deleted":
            raise AccountDeleted()
        if target.role in STAFF and not self._is_admin:
            raise ModeratorsActOnMembers()
        return target

    async def _check_not_last_admin(self, connection: Connection, target: Account) -> None:
        if target.role != "admin":
            return
        admins = {row["id"] for row in await connection.fetch(_ADMINS)}
        if admins <= {target.id}:
            raise LastAdmin()

    async def suspend(self, username: str, suspension: Suspension, reason: str | None) -> StaffView:
        async with self._database.transaction() as connection:
            target = await self._target(connection, username)
            await self.suspend_locked(connection, target, suspension, reason)
        return await self.user(username)

    def check_suspension(
        self, suspension: Suspension, reason: str | None
    ) -> tuple[str, datetime.datetime | None]:
        """The reason and end of a suspension the actor may give, before anything is locked."""
        reason = clean_reason(reason)
        if suspension.permanent and not self._is_admin:
            raise AdminsOnly("Only admins may suspend permanently; moderators give a `duration` or `until`.")
        return reason, suspension_end(suspension, now())

    async def suspend_locked(
        self, connection: Connection, target: Account, suspension: Suspension, reason: str | None
    ) -> None:
        """Suspend ``target`` (locked by :meth:`_target`) in ``connection``'s transaction."""
        reason, until = self.check_suspension(suspension, reason)
        await self._check_not_last_admin(connection, target)
        await status.change(
            connection, target.id, "suspended", until=until, reason=reason, actor_id=self._actor.id
        )
        await audit.record(
            connection,
            actor_of(self._actor),
            "suspend",
            "account",
            target.id,
            reason=reason,
            before=target.state.as_json(),
            after=status.State("suspended", until, reason).as_json(),
        )
        await moderation_notices.tell(connection, target.id, "suspended", reason, until=until)

    async def lock_account(self, connection: Connection, account_id: uuid.UUID) -> Account:
        """The account with ``account_id``, locked, if the actor may act on it (for reports)."""
        return await self._target(connection, account_id=account_id)

    async def unsuspend(self, username: str, reason: str | None) -> StaffView:
        reason = clean_reason(reason)
        async with self._database.transaction() as connection:
            target = await self._target(connection, username)
            if target.state.effective() != "suspended":
                raise NotSuspended()
            changed_by = await connection.fetchval(
                "SELECT status_changed_by FROM users WHERE id = $1", target.id
            )
            if not self._is_admin and changed_by != self._actor.id:
                raise NotYourSuspension()
            await self._set_active(connection, target, "unsuspend", reason)
        return await self.user(username)

    async def disable(self, username: str, reason: str | None) -> StaffView:
        reason = clean_reason(reason)
        if not self._is_admin:
            raise AdminsOnly()
        async with self._database.transaction() as connection:
            target = await self._target(connection, username)
            await self._check_not_last_admin(connection, target)
            await status.change(connection, target.id, "disabled", reason=reason, actor_id=self._actor.id)
            await audit.record(
                connection,
                actor_of(self._actor),
                "disable",
                "account",
                target.id,
                reason=reason,
                before=target.state.as_json(),
                after=status.State("disabled", None, reason).as_json(),
            )
        return await self.user(username)

    async def reactivate(self, username: str, reason: str | None) -> StaffView:
        """Make a disabled or suspended account active again (admins)."""
        reason = clean_reason(reason)
        if not self._is_admin:
            raise AdminsOnly()
        async with self._database.transaction() as connection:
            target = await self._target(connection, username)
            if target.state.effective() == "active":
                raise NotDisabledOrSuspended()
            await self._set_active(connection, target, "reactivate", reason)
        return await self.user(username)

    async def _set_active(
        self, connection: Connection, target: Account, action: audit.Action, reason: str
    ) -> None:
        await status.change(connection, target.id, "active", reason=reason, actor_id=self._actor.id)
        await audit.record(
            connection,
            actor_of(self._actor),
            action,
            "account",
            target.id,
            reason=reason,
            before=target.state.as_json(),
            after=status.State("active", None, reason).as_json(),
        )
        if target.state.effective() == "suspended":
            await moderation_notices.tell(connection, target.id, "suspension_lifted", reason)

    async def change_role(self, username: str, role: Role, reason: str | None) -> StaffView:
        """Give an account a role (admins). An admin may demote themselves, unless they are the last."""
        reason = clean_reason(reason)
        if not self._is_admin:
            raise AdminsOnly()
        async with self._database.transaction() as connection:
            row = await connection.fetchrow(_ACCOUNT_FOR_UPDATE, normalize_username(username))
            if row is None:
                raise UserNotFound()
            target = Account.from_row(row)
            if target.status == "deleted":
                raise AccountDeleted()
            if target.role != role:
                if role != "admin":
                    await self._check_not_last_admin(connection, target)
                await connection.execute(_SET_ROLE, target.id, role)
                await audit.record(
                    connection,
                    actor_of(self._actor),
                    "role_change",
                    "account",
                    target.id,
                    reason=reason,
                    before={"role": target.role},
                    after={"role": role},
                )
        return await self.user(username)

    # Reading accounts ---------------------------------------------------------------------------

    async def user(self, username: str) -> StaffView:
        """One account, as staff see it (hidden or not; a deleted one too)."""
        row = await self._database.fetchrow(_USER_BY_NAME, normalize_username(username))
        if row is None:
            raise UserNotFound()
        [view] = await self._views([row])
        return view

    async def users(
        self, filters: UserFilters, limit: int, cursor: str | None
    ) -> tuple[list[StaffView], str | None]:
        """A page of accounts by username, filtered; and the cursor of the next page."""
        after = "" if cursor is None else cursors.decode_for(_LIST_NAME, cursor, str)
        rows = await self._database.fetch(
            _USERS,
            after,
            _like_prefix(filters.query) if filters.query and filters.query.strip() else None,
            filters.status,
            filters.role,
            limit + 1,
        )
        views = await self._views(rows[:limit])
        more = len(rows) > limit
        return views, cursors.encode_for(_LIST_NAME, views[-1].account.username) if more else None

    async def _views(self, rows: list[Any]) -> list[StaffView]:
        accounts = [Account.from_row(row) for row in rows]
        ids = [account.id for account in accounts]
        counts = {row["id"]: row for row in await self._database.fetch(_FOLLOW_COUNTS, ids)} if ids else {}
        posts = await _or_none(lambda: self._posts.count_posts_by_author(ids)) if ids else {}
        return [
            StaffView(
                account=account,
                effective_status=account.state.effective(),
                status_changed_at=row["status_changed_at"],
                status_changed_by=row["status_changed_by"],
                follower_count=counts[account.id]["followers"],
                following_count=counts[account.id]["following"],
                post_count=None if posts is None else posts.get(account.id, 0),
            )
            for account, row in zip(accounts, rows, strict=True)
        ]

    async def dashboard(self) -> Dashboard:
        [row] = await self._database.fetch(_DASHBOARD)
        midnight = now().replace(hour=0, minute=0, second=0, microsecond=0)
        posts_today = await _or_none(lambda: self._posts.count_posts_since(midnight))
        return Dashboard(
            accounts=row["accounts"],
            active_accounts=row["active"],
            suspended_accounts=row["suspended"],
            disabled_accounts=row["disabled"],
            posts_today=posts_today,
            open_reports=row["open_reports"],
        )

    # Content ------------------------------------------------------------------------------------

    async def remove_post(
        self, post_id: uuid.UUID, reason: str | None, *, connection: Connection | None = None
    ) -> None:
        """Remove any post, with a reason. The audit entry is written first in the gateway's
        transaction, which commits only after the posts service removed the post (a removal there is
        idempotent: a retry after a lost answer finds it removed, and succeeds). So an entry never
        names a removal that did not happen; if the gateway fails between the two commits, the post
        is gone with its moderation record in the posts service, and the caller, told 503, repeats
        the call, which writes the entry."""
        reason = clean_reason(reason)
        post = await self._posts.get_post(post_id)
        async with _transaction(self._database, connection) as tx:
            await audit.record(
                tx,
                actor_of(self._actor),
                "delete_post",
                "post",
                post_id,
                reason=reason,
                before={"author_id": str(post.author_id), "text": post.text, "visibility": post.visibility},
            )
            await moderation_notices.tell(tx, post.author_id, "post_removed", reason, post_id=post_id)
            await self._posts.delete_post(post_id, reason=reason)

    async def remove_comment(
        self, comment_id: uuid.UUID, reason: str | None, *, connection: Connection | None = None
    ) -> None:
        """Remove any comment (and its replies), with a reason; as :meth:`remove_post`."""
        reason = clean_reason(reason)
        comment = await self._posts.get_comment(comment_id)
        async with _transaction(self._database, connection) as tx:
            await audit.record(
                tx,
                actor_of(self._actor),
                "delete_comment",
                "comment",
                comment_id,
                reason=reason,
                before={
                    "post_id": str(comment.post_id),
                    "author_id": str(comment.author_id),
                    "text": comment.text,
                },
            )
            await moderation_notices.tell(
                tx,
                comment.author_id,
                "comment_removed",
                reason,
                post_id=comment.post_id,
                comment_id=comment_id,
            )
            await self._posts.delete_comment(comment.post_id, comment_id, reason=reason)


async def _or_none(read: Callable[[], Awaitable[T]]) -> T | None:
    """A figure from another service, or None while it is out of reach: staff pages still load."""
    try:
        return await read()
    except Unavailable:
        return None


@asynccontextmanager
async def _transaction(database: Database, connection: Connection | None) -> AsyncIterator[Connection]:
    """The transaction ``connection`` is in, if one is given (a report's decision wraps the action),
    else a new one."""
    if connection is not None:
        yield connection
        return
    async with database.transaction() as opened:
        yield opened
