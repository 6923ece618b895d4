"""Accounts: registration, profiles, and changes to one's own account."""

from __future__ import annotations

import dataclasses
import datetime
import re
import uuid
from collections.abc import Iterable, Mapping
from typing import Any, Literal, Protocol

import asyncpg

from gateway.auth.passwords import Passwords
from gateway.graph import events as follow_events
from gateway.graph.events import FollowChange
from gateway.graph.service import Graph
from gateway.moderation import audit
from gateway.users import status
from gateway.users.errors import UserNotFound
from gateway.users.status import STAFF, State, Status
from servicekit.database import Connection, Database
from servicekit.errors import Conflict, Invalid

# What mail about new posts of followed accounts an account gets (``gateway/mail/new_posts.py``).
NewPostsMail = Literal["instant", "daily", "off"]


class UsernameTaken(Conflict):
    """Another account has this username (case-insensitively)."""

    code = "username_taken"
    title = "Username taken"
    detail = "That username is taken."
    field = "username"


class EmailTaken(Conflict):
    """Another account has this e-mail address (case-insensitively)."""

    code = "email_taken"
    title = "E-mail taken"
    detail = "That e-mail address is in use."
    field = "email"


class UsernameReserved(Invalid):
    """The username would clash with a route or impersonate the service (``me``, ``admin``…)."""

    code = "username_reserved"
    title = "Username reserved"
    detail = "That username is reserved."
    field = "username"


class CurrentPasswordRequired(Invalid):
    """Changing the e-mail address or password needs the current password."""

    code = "current_password_required"
    title = "Current password required"
    detail = "Changing the e-mail address or password needs `current_password`."
    field = "current_password"


class PasswordIncorrect(Invalid):
    """The password given to confirm deleting one's account is wrong."""

    code = "password_incorrect"
    title = "Password incorrect"
    detail = "`password` is wrong."
    field = "password"


class LastAdminCannotLeave(Conflict):
    code = "last_admin"
    title = "Last admin"
    detail = "This is the last admin: make another admin before deleting this account."


class CurrentPasswordIncorrect(Invalid):
    """The current password given with a sensitive change is wrong."""

    code = "current_password_incorrect"
    title = "Current password incorrect"
    detail = "`current_password` is wrong."
    field = "current_password"


@dataclasses.dataclass(frozen=True, slots=True)
class Account:
    """An account as the rest of the gateway sees it: everything but the password hash."""

    id: uuid.UUID
    username: str
    email: str
    display_name: str
    bio: str
    is_private: bool
    role: str
    created_at: datetime.datetime
    updated_at: datetime.datetime
    status: Status = "active"
    suspended_until: datetime.datetime | None = None
    status_reason: str = ""
    email_verified: bool = False
    # A new address waiting for its verification; until then ``email`` is the one that counts.
    pending_email: str | None = None
    email_new_posts: NewPostsMail = "instant"

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Account:
        return cls(**{field.name: row[field.name] for field in dataclasses.fields(cls)})

    @property
    def state(self) -> State:
        return State(self.status, self.suspended_until, self.status_reason)

    @property
    def is_staff(self) -> bool:
        """Moderators and admins: they see hidden accounts and content, and moderate."""
        return self.role in STAFF


@dataclasses.dataclass(frozen=True, slots=True)
class AccountSummary:
    """What other people's content shows of an account: who wrote it."""

    id: uuid.UUID
    username: str
    display_name: str


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class AccountChanges:
    """What a user asked to change; ``None`` means unchanged."""

    display_name: str | None = None
    bio: str | None = None
    is_private: bool | None = None
    email: str | None = None
    password: str | None = None
    current_password: str | None = None
    email_new_posts: NewPostsMail | None = None


class AddressVerification(Protocol):
    """Queues the mail that verifies ``address`` for ``account``, on ``connection`` (in the transaction
    that created the account or asked for the new address): ``gateway/account_mail/``."""

    async def __call__(
        self, connection: Connection, account: Account, address: str, *, change: bool
    ) -> None: ...


@dataclasses.dataclass(frozen=True, slots=True)
class UpdateOutcome:
    account: Account
    password_changed: bool


USERNAME = re.compile(r"[a-z0-9_]{3,30}")  # as stored: the schema's pattern, lower-cased
RESERVED_USERNAMES = frozenset(
    {"me", "admin", "administrator", "root", "system", "support", "flock", "moderator", "api", "null"}
)


def normalize_username(username: str) -> str:
    return username.strip().lower()


def normalize_email(email: str) -> str:
    return email.strip().lower()


# Column names come from the Account dataclass, never from input.
ACCOUNT_COLUMNS = ", ".join(field.name for field in dataclasses.fields(Account))
_INSERT = f"""
INSERT INTO users (id, username, email, password_hash, display_name)
VALUES ($1, $2, $3, $4, $5)
RETURNING {ACCOUNT_COLUMNS}
"""  # noqa: S608 - only constants are interpolated
_BY_ID = f"SELECT {ACCOUNT_COLUMNS} FROM users WHERE id = $1"  # noqa: S608
# With whether the account blocks the viewer ($2, NULL for anonymous): then it is not there for them.
_BY_USERNAME = f"""
SELECT {ACCOUNT_COLUMNS},
       EXISTS (SELECT 1 FROM blocks WHERE blocker_id = users.id AND blocked_id = $2) AS blocks_viewer
FROM users WHERE username = $1
"""  # noqa: S608
_USERNAME_EXISTS = "SELECT 1 FROM users WHERE username = $1"
_SUMMARIES = "SELECT id, username, display_name FROM users WHERE id = ANY($1::uuid[])"
_STORED_HASH = "SELECT password_hash FROM users WHERE id = $1"
_EMAIL_OF_ANOTHER = "SELECT 1 FROM users WHERE email = $1 AND id <> $2"
# How long a deleted account's username stays taken, so nobody impersonates it at once.
USERNAME_QUARANTINE = datetime.timedelta(days=30)
# A deleted account keeps its row (its id stays known to the audit log and other services) and its
# username for the quarantine; its personal data goes: e-mail (freed for a new account), names,
# password (nothing verifies against '!').
_WIPE = """
UPDATE users SET email = id::text || '@deleted.invalid', display_name = '', bio = '',
    password_hash = '!', is_private = false, deleted_at = now()
WHERE id = $1
"""
_UNFOLLOW_ALL = (
    "DELETE FROM follows WHERE follower_id = $1 OR followee_id = $1 RETURNING follower_id, followee_id"
)
_OTHER_ADMINS = "SELECT count(*) FROM users WHERE role = 'admin' AND status = 'active' AND id <> $1"
# After the quarantine, a deleted account's username is given up: renamed to one no one can choose
# (a leading underscore and its id's digits; the row keeps everything else).
_FREE_USERNAME = """
UPDATE users SET username = '_' || left(replace(id::text, '-', ''), 29)
WHERE username = $1 AND status = 'deleted' AND deleted_at < now() - $2::interval
RETURNING 1
"""
# The columns a user may change; the statement is built from these names only. A new e-mail address
# goes to ``pending_email``: it replaces ``email`` when its verification link is followed.
_CHANGEABLE = ("display_name", "bio", "is_private", "pending_email", "password_hash", "email_new_posts")


def _settings_changed(changes: AccountChanges) -> dict[str, object]:
    """The changed columns that need no password to change."""
    values: dict[str, object] = {}
    if changes.display_name is not None:
        values["display_name"] = changes.display_name.strip()
    if changes.bio is not None:
        values["bio"] = changes.bio.strip()
    if changes.is_private is not None:
        values["is_private"] = changes.is_private
    if changes.email_new_posts is not None:
        values["email_new_posts"] = changes.email_new_posts
    return values


def _update_statement(columns: list[str]) -> str:
    assignments = ", ".join(f"{column} = ${index}" for index, column in enumerate(columns, start=2))
    return (
        f"UPDATE users SET {assignments}, updated_at = now() WHERE id = $1"  # noqa: S608 - constants
        f" RETURNING {ACCOUNT_COLUMNS}"
    )


def _unique_violation(error: asyncpg.UniqueViolationError) -> Exception:
    constraint = error.constraint_name or ""
    return EmailTaken() if "email" in constraint else UsernameTaken()


class Accounts:
    """Account rules on plain values; knows nothing of HTTP."""

    def __init__(
        self,
        database: Database,
        passwords: Passwords,
        graph: Graph,
        verification: AddressVerification | None = None,
    ) -> None:
        self._database = database
        self._passwords = passwords
        self._graph = graph
        # None: no verification mail is queued (in-process tests on fakes).
        self._verification = verification

    def with_verification(self, verification: AddressVerification) -> Accounts:
        """These accounts, queueing ``verification`` mail for new accounts and changed addresses."""
        return Accounts(self._database, self._passwords, self._graph, verification)

    async def register(
        self, *, username: str, email: str, password: str, display_name: str
    ) -> Account | None:
        """Create an account; :class:`UsernameTaken` if the username has one (profiles are public, so
        that is no secret). None if the e-mail address has one already: nothing is created, and the
        caller must be told nothing that says whether an address has an account (the work done, an
        argon2 hash, is the same either way). A new account's address waits for its verification
        mail, queued in the same transaction."""
        username, email = normalize_username(username), normalize_email(email)
        if username in RESERVED_USERNAMES:
            raise UsernameReserved()
        password_hash = await self._passwords.hash(password)
        try:
            async with self._database.transaction() as connection:
                await connection.execute(_FREE_USERNAME, username, USERNAME_QUARANTINE)
                row = await connection.fetchrow(
                    _INSERT, uuid.uuid4(), username, email, password_hash, display_name.strip()
                )
                account = Account.from_row(row)
                if self._verification is not None:
                    await self._verification(connection, account, email, change=False)
        except asyncpg.UniqueViolationError as error:
            # The unique indexes decide, so two simultaneous registrations cannot both win.
            if "email" not in (error.constraint_name or ""):
                raise UsernameTaken() from None
            if await self._database.fetchrow(_USERNAME_EXISTS, username) is not None:
                raise UsernameTaken() from None  # both are taken: say what is public
            return None
        return account

    async def delete(self, account: Account, password: str) -> None:
        """Delete one's own account, confirmed by its password: status ``deleted`` (the posts service
        then removes its posts, comments and likes, and statistics follow through their events), its
        sessions revoked, its follows gone, its personal data wiped; the username stays taken for 30
        days. The last admin must hand over first."""
        row = await self._database.fetchrow(_STORED_HASH, account.id)
        if row is None:
            raise UserNotFound()
        if not await self._passwords.verify(row["password_hash"], password):
            raise PasswordIncorrect()
        async with self._database.transaction() as connection:
            locked = await connection.fetchrow(
                "SELECT role, status FROM users WHERE id = $1 FOR UPDATE", account.id
            )
            if locked is None or locked["status"] == "deleted":
                raise UserNotFound()
            if locked["role"] == "admin" and not await connection.fetchval(_OTHER_ADMINS, account.id):
                raise LastAdminCannotLeave()
            before = account.state.as_json()
            await status.change(
                connection, account.id, "deleted", reason="deleted by its owner", actor_id=account.id
            )
            await connection.execute(_WIPE, account.id)
            ended = await connection.fetch(_UNFOLLOW_ALL, account.id)
            await follow_events.record(
                connection,
                account.id,
                [FollowChange(row["follower_id"], row["followee_id"], "none", "deleted") for row in ended],
            )
            await audit.record(
                connection,
                audit.Actor(account.id, account.username),
                "account_delete",
                "account",
                account.id,
                reason="deleted by its owner",
                before=before,
                after={"status": "deleted", "suspended_until": None},
            )

    async def get(self, user_id: uuid.UUID) -> Account:
        row = await self._database.fetchrow(_BY_ID, user_id)
        if row is None:
            raise UserNotFound()
        return Account.from_row(row)

    async def by_username(
        self, username: str, *, include_hidden: bool = False, viewer: uuid.UUID | None = None
    ) -> Account:
        """The account named ``username``. A suspended, disabled or deleted one is hidden: not found,
        unless ``include_hidden`` (for staff, and for what one may still do to a hidden account, such
        as unfollowing it). With ``viewer``, an account that blocks the viewer is not found either
        (``gateway/blocks/``)."""
        username = normalize_username(username)
        if not USERNAME.fullmatch(username):
            raise UserNotFound()  # no account could have it (and PostgreSQL refuses some, like NUL)
        row = await self._database.fetchrow(_BY_USERNAME, username, viewer)
        if row is None or row["blocks_viewer"]:
            raise UserNotFound()
        account = Account.from_row(row)
        if account.state.hidden() and not (include_hidden and account.status != "deleted"):
            raise UserNotFound()
        return account

    async def summaries(self, user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, AccountSummary]:
        """Summaries of the accounts in ``user_ids``, in one query; unknown ids are left out."""
        wanted = list(set(user_ids))
        if not wanted:
            return {}
        rows = await self._database.fetch(_SUMMARIES, wanted)
        return {row["id"]: AccountSummary(row["id"], row["username"], row["display_name"]) for row in rows}

    async def update(self, user_id: uuid.UUID, changes: AccountChanges) -> UpdateOutcome:
        """Apply ``changes`` to one's own account. A new e-mail address does not replace the old one
        yet: it waits in ``pending_email`` for the link mailed to it (the old address stays the one
        to log in with and to mail); giving the current address again cancels a pending change."""
        values = _settings_changed(changes)
        new_email = normalize_email(changes.email) if changes.email is not None else None
        if changes.email is not None or changes.password is not None:
            await self._check_current_password(user_id, changes.current_password)
            if new_email is not None:
                # Checked again when the new address is confirmed: pending addresses are not unique.
                if await self._database.fetchrow(_EMAIL_OF_ANOTHER, new_email, user_id) is not None:
                    raise EmailTaken()
                current = await self.get(user_id)
                values["pending_email"] = None if new_email == current.email else new_email
            if changes.password is not None:
                values["password_hash"] = await self._passwords.hash(changes.password)
        if not values:
            return UpdateOutcome(await self.get(user_id), password_changed=False)
        columns = [column for column in _CHANGEABLE if column in values]
        try:
            async with self._database.transaction() as connection:
                row = await connection.fetchrow(
                    _update_statement(columns), user_id, *(values[column] for column in columns)
                )
                pending = values.get("pending_email")
                if row is not None and isinstance(pending, str) and self._verification is not None:
                    await self._verification(connection, Account.from_row(row), pending, change=True)
                if row is not None and changes.is_private is False:
                    # A public account has no one waiting: the requests become follows, in the same
                    # transaction, so none is left behind (see gateway.graph.service).
                    await self._graph.accept_all_waiting(user_id, connection)
        except asyncpg.UniqueViolationError as error:
            raise _unique_violation(error) from None
        if row is None:
            raise UserNotFound()
        return UpdateOutcome(Account.from_row(row), password_changed=changes.password is not None)

    async def _check_current_password(self, user_id: uuid.UUID, current_password: str | None) -> None:
        if current_password is None:
            raise CurrentPasswordRequired()
        row = await self._database.fetchrow(_STORED_HASH, user_id)
        if row is None:
            raise UserNotFound()
        if not await self._passwords.verify(row["password_hash"], current_password):
            raise CurrentPasswordIncorrect()
