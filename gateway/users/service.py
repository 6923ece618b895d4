"""Accounts: registration, profiles, and changes to one's own account."""

from __future__ import annotations

import dataclasses
import datetime
import re
import uuid
from collections.abc import Iterable
from typing import Any

import asyncpg

from gateway.auth.passwords import Passwords
from gateway.graph.service import accept_all_waiting
from gateway.sql import fetch
from gateway.users.tables import User


class UsernameTaken(Exception):
    """Another account has this username (case-insensitively)."""


class EmailTaken(Exception):
    """Another account has this e-mail address (case-insensitively)."""


class UsernameReserved(Exception):
    """The username would clash with a route or impersonate the service (``me``, ``admin``…)."""


class UserNotFound(Exception):
    """No account has this id or username."""


class CurrentPasswordRequired(Exception):
    """Changing the e-mail address or password needs the current password."""


class CurrentPasswordIncorrect(Exception):
    """The current password given with a sensitive change is wrong."""


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
    def from_row(cls, row: dict[str, Any]) -> Account:
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


def _unique_violation(error: asyncpg.UniqueViolationError) -> Exception:
    constraint = error.constraint_name or ""
    return EmailTaken() if "email" in constraint else UsernameTaken()


class Accounts:
    """Account rules on plain values; knows nothing of HTTP."""

    def __init__(self, passwords: Passwords) -> None:
        self._passwords = passwords

    async def register(self, *, username: str, email: str, password: str, display_name: str) -> Account:
        """Create an account. Raises :class:`UsernameTaken` or :class:`EmailTaken`."""
        username, email = normalize_username(username), normalize_email(email)
        if username in RESERVED_USERNAMES:
            raise UsernameReserved()
        password_hash = await self._passwords.hash(password)
        try:
            rows = await User.insert(
                User(
                    username=username,
                    email=email,
                    password_hash=password_hash,
                    display_name=display_name.strip(),
                )
            ).returning(*User.all_columns(exclude=[User.password_hash]))
        except asyncpg.UniqueViolationError as error:
            # The unique indexes decide, so two simultaneous registrations cannot both win.
            raise _unique_violation(error) from None
        return Account.from_row(rows[0])

    async def get(self, user_id: uuid.UUID) -> Account:
        row = (
            await User.select(*User.all_columns(exclude=[User.password_hash]))
            .where(User.id == user_id)
            .first()
        )
        if row is None:
            raise UserNotFound()
        return Account.from_row(row)

    async def by_username(self, username: str) -> Account:
        username = normalize_username(username)
        if not USERNAME.fullmatch(username):
            raise UserNotFound()  # no account could have it (and PostgreSQL refuses some, like NUL)
        row = (
            await User.select(*User.all_columns(exclude=[User.password_hash]))
            .where(User.username == username)
            .first()
        )
        if row is None:
            raise UserNotFound()
        return Account.from_row(row)

    async def summaries(self, user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, AccountSummary]:
        """Summaries of the accounts in ``user_ids``, in one query; unknown ids are left out."""
        wanted = list(set(user_ids))
        if not wanted:
            return {}
        rows = await fetch("SELECT id, username, display_name FROM users WHERE id = ANY($1::uuid[])", wanted)
        return {row["id"]: AccountSummary(row["id"], row["username"], row["display_name"]) for row in rows}

    async def update(self, user_id: uuid.UUID, changes: AccountChanges) -> UpdateOutcome:
        """Apply ``changes`` to one's own account."""
        values: dict[Any, Any] = {}
        if changes.display_name is not None:
            values[User.display_name] = changes.display_name.strip()
        if changes.bio is not None:
            values[User.bio] = changes.bio.strip()
        if changes.is_private is not None:
            values[User.is_private] = changes.is_private
        if changes.email is not None or changes.password is not None:
            await self._check_current_password(user_id, changes.current_password)
            if changes.email is not None:
                values[User.email] = normalize_email(changes.email)
            if changes.password is not None:
                values[User.password_hash] = await self._passwords.hash(changes.password)
        if not values:
            return UpdateOutcome(await self.get(user_id), password_changed=False)
        values[User.updated_at] = datetime.datetime.now(tz=datetime.UTC)
        try:
            async with User._meta.db.transaction():
                rows = await (
                    User.update(values)
                    .where(User.id == user_id)
                    .returning(*User.all_columns(exclude=[User.password_hash]))
                )
                if changes.is_private is False:
                    # A public account has no one waiting: the requests become follows, in the same
                    # transaction, so none is left behind (see gateway.graph.service).
                    await accept_all_waiting(user_id)
        except asyncpg.UniqueViolationError as error:
            raise _unique_violation(error) from None
        if not rows:
            raise UserNotFound()
        return UpdateOutcome(Account.from_row(rows[0]), password_changed=changes.password is not None)

    async def _check_current_password(self, user_id: uuid.UUID, current_password: str | None) -> None:
        if current_password is None:
            raise CurrentPasswordRequired()
        row = await User.select(User.password_hash).where(User.id == user_id).first()
        if row is None:
            raise UserNotFound()
        if not await self._passwords.verify(row["password_hash"], current_password):
            raise CurrentPasswordIncorrect()
