"""Accounts: registration, profiles, and changes to one's own account."""

from __future__ import annotations

import dataclasses
import datetime
import re
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import asyncpg

from gateway.auth.passwords import Passwords
from gateway.graph.service import Graph
from servicekit.database import Database
from servicekit.errors import Conflict, Invalid, NotFound


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


class UserNotFound(NotFound):
    """No account has this id or username."""

    code = "user_not_found"
    title = "User not found"
    detail = "No such user."


class CurrentPasswordRequired(Invalid):
    """Changing the e-mail address or password needs the current password."""

    code = "current_password_required"
    title = "Current password required"
    detail = "Changing the e-mail address or password needs `current_password`."
    field = "current_password"


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

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Account:
        return cls(**{field.name: row[field.name] for field in dataclasses.fields(cls)})


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
_BY_USERNAME = f"SELECT {ACCOUNT_COLUMNS} FROM users WHERE username = $1"  # noqa: S608
_USERNAME_EXISTS = "SELECT 1 FROM users WHERE username = $1"
_SUMMARIES = "SELECT id, username, display_name FROM users WHERE id = ANY($1::uuid[])"
_STORED_HASH = "SELECT password_hash FROM users WHERE id = $1"
# The columns a user may change; the statement is built from these names only.
_CHANGEABLE = ("display_name", "bio", "is_private", "email", "password_hash")


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

    def __init__(self, database: Database, passwords: Passwords, graph: Graph) -> None:
        self._database = database
        self._passwords = passwords
        self._graph = graph

    async def register(
        self, *, username: str, email: str, password: str, display_name: str
    ) -> Account | None:
        """Create an account; :class:`UsernameTaken` if the username has one (profiles are public, so
        that is no secret). None if the e-mail address has one already: nothing is created, and the
        caller must be told nothing that says whether an address has an account (the work done, an
        argon2 hash, is the same either way)."""
        username, email = normalize_username(username), normalize_email(email)
        if username in RESERVED_USERNAMES:
            raise UsernameReserved()
        password_hash = await self._passwords.hash(password)
        try:
            [row] = await self._database.fetch(
                _INSERT, uuid.uuid4(), username, email, password_hash, display_name.strip()
            )
        except asyncpg.UniqueViolationError as error:
            # The unique indexes decide, so two simultaneous registrations cannot both win.
            if "email" not in (error.constraint_name or ""):
                raise UsernameTaken() from None
            if await self._database.fetchrow(_USERNAME_EXISTS, username) is not None:
                raise UsernameTaken() from None  # both are taken: say what is public
            return None
        return Account.from_row(row)

    async def get(self, user_id: uuid.UUID) -> Account:
        row = await self._database.fetchrow(_BY_ID, user_id)
        if row is None:
            raise UserNotFound()
        return Account.from_row(row)

    async def by_username(self, username: str) -> Account:
        username = normalize_username(username)
        if not USERNAME.fullmatch(username):
            raise UserNotFound()  # no account could have it (and PostgreSQL refuses some, like NUL)
        row = await self._database.fetchrow(_BY_USERNAME, username)
        if row is None:
            raise UserNotFound()
        return Account.from_row(row)

    async def summaries(self, user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, AccountSummary]:
        """Summaries of the accounts in ``user_ids``, in one query; unknown ids are left out."""
        wanted = list(set(user_ids))
        if not wanted:
            return {}
        rows = await self._database.fetch(_SUMMARIES, wanted)
        return {row["id"]: AccountSummary(row["id"], row["username"], row["display_name"]) for row in rows}

    async def update(self, user_id: uuid.UUID, changes: AccountChanges) -> UpdateOutcome:
        """Apply ``changes`` to one's own account."""
        values: dict[str, object] = {}
        if changes.display_name is not None:
            values["display_name"] = changes.display_name.strip()
        if changes.bio is not None:
            values["bio"] = changes.bio.strip()
        if changes.is_private is not None:
            values["is_private"] = changes.is_private
        if changes.email is not None or changes.password is not None:
            await self._check_current_password(user_id, changes.current_password)
            if changes.email is not None:
                values["email"] = normalize_email(changes.email)
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
