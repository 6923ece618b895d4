"""Sessions: log in, rotate refresh tokens, log out, and authenticate access tokens.

A login opens a *session*; every refresh token rotated from it belongs to that session. Presenting a
refresh token that was already rotated is a replay (the token leaked, or a client misbehaved): the
whole session is revoked, so neither the thief nor the victim keeps a working token. Access tokens
carry the session id and are checked against it on every request, so a revoked session or a changed
password takes effect at once rather than when the access token expires.
"""

from __future__ import annotations

import dataclasses
import datetime
import uuid

from gateway.auth.passwords import Passwords
from gateway.auth.tokens import AccessTokens, InvalidToken, new_refresh_token, refresh_token_digest
from gateway.users.service import ACCOUNT_COLUMNS, Account, normalize_email, normalize_username
from gateway.users.status import AccountDisabled
from servicekit.database import Connection, Database
from servicekit.errors import Unauthenticated


class InvalidCredentials(Unauthenticated):
    """Unknown account or wrong password; the two are indistinguishable on purpose."""

    code = "invalid_credentials"
    title = "Invalid credentials"
    detail = "Wrong username/e-mail or password."


class InvalidRefreshToken(Unauthenticated):
    """The refresh token is unknown, expired, or its session was revoked."""

    code = "invalid_refresh_token"
    title = "Invalid refresh token"
    detail = "The refresh token is unknown, expired or revoked; log in again."


class RefreshTokenReused(Unauthenticated):
    """A rotated refresh token was presented again; its session has been revoked."""

    code = "refresh_token_reused"
    title = "Refresh token reused"
    detail = "This refresh token was already used, so its session has been revoked for safety; log in again."


class NotAuthenticated(Unauthenticated):
    """The access token is missing, invalid, expired, or its session was revoked."""

    detail = "Send a valid access token: `Authorization: Bearer <token>`."


@dataclasses.dataclass(frozen=True, slots=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_in: int


@dataclasses.dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller of a request."""

    account: Account
    session_id: uuid.UUID


def block_viewer(viewer: Principal | None) -> uuid.UUID | None:
    """Whom other accounts' blocks keep out, as the ``viewer`` of a lookup: the signed-in member, and
    nobody for anonymous readers and for staff (a block hides nothing from those who moderate)."""
    if viewer is None or viewer.account.is_staff:
        return None
    return viewer.account.id


def _now() -> datetime.datetime:
    return datetime.datetime.now(tz=datetime.UTC)


# Column names come from the Account dataclass, never from input.
_JOINED_ACCOUNT_COLUMNS = ", ".join(f"u.{column}" for column in ACCOUNT_COLUMNS.split(", "))
_AUTHENTICATE = (
    f"SELECT {_JOINED_ACCOUNT_COLUMNS} FROM auth_sessions s JOIN users u ON u.id = s.user_id"  # noqa: S608
    " WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL"
    " AND u.status NOT IN ('disabled', 'deleted')"
)
_CREDENTIALS_BY_USERNAME = "SELECT id, password_hash, status FROM users WHERE username = $1"
_CREDENTIALS_BY_EMAIL = "SELECT id, password_hash, status FROM users WHERE email = $1"
_REHASH = "UPDATE users SET password_hash = $2 WHERE id = $1"
_OPEN_SESSION = """
INSERT INTO auth_sessions (id, user_id, created_at, revoked_reason) VALUES ($1, $2, $3, '')
RETURNING id, created_at
"""
_ROTATE = """
UPDATE refresh_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL
RETURNING session_id, expires_at
"""
_SESSION = "SELECT user_id, revoked_at, created_at FROM auth_sessions WHERE id = $1"
_SESSION_OF_REFRESH = "SELECT session_id FROM refresh_tokens WHERE token_hash = $1"
_REVOKE_OTHERS = """
UPDATE auth_sessions SET revoked_at = $3, revoked_reason = 'password_changed'
WHERE user_id = $1 AND id <> $2 AND revoked_at IS NULL
"""
_ISSUE = """
INSERT INTO refresh_tokens (token_hash, session_id, issued_at, expires_at) VALUES ($1, $2, $3, $4)
"""
_REVOKE = """
UPDATE auth_sessions SET revoked_at = $2, revoked_reason = $3 WHERE id = $1 AND revoked_at IS NULL
"""
_REVOKE_ALL = """
UPDATE auth_sessions SET revoked_at = $2, revoked_reason = $3 WHERE user_id = $1 AND revoked_at IS NULL
"""


async def revoke_all(connection: Connection, user_id: uuid.UUID, *, reason: str) -> None:
    """End every session of ``user_id`` on ``connection`` (in the caller's transaction): its refresh
    tokens stop at once, and so do its access tokens, which are checked against their session."""
    await connection.execute(_REVOKE_ALL, user_id, _now(), reason)


class Sessions:
    """Login sessions and their tokens."""

    def __init__(
        self,
        database: Database,
        passwords: Passwords,
        access_tokens: AccessTokens,
        *,
        refresh_ttl_seconds: int,
        session_max_age_seconds: int,
    ) -> None:
        self._database = database
        self._passwords = passwords
        self._access_tokens = access_tokens
        self._refresh_ttl = datetime.timedelta(seconds=refresh_ttl_seconds)
        self._session_max_age = datetime.timedelta(seconds=session_max_age_seconds)

    @property
    def tokens(self) -> AccessTokens:
        """The token signer (the admin panel signs its cookie and CSRF tokens with it)."""
        return self._access_tokens

    async def login(self, login: str, password: str) -> IssuedTokens:
        """Check credentials (username or e-mail) and open a session."""
        user_id = await self._check_credentials(login, password)
        async with self._database.transaction() as connection:
            session = await connection.fetchrow(_OPEN_SESSION, uuid.uuid4(), user_id, _now())
            return await self._issue(connection, user_id, session["id"], session["created_at"])

    async def open_session(self, login: str, password: str) -> Principal:
        """Check credentials as :meth:`login` does and open a session with no tokens (the admin
        panel keeps its id in a signed cookie); the account as it is now."""
        user_id = await self._check_credentials(login, password)
        session_id = uuid.uuid4()
        await self._database.execute(_OPEN_SESSION, session_id, user_id, _now())
        return await self.authenticate_session(session_id, user_id)

    async def authenticate_session(self, session_id: uuid.UUID, user_id: uuid.UUID) -> Principal:
        """The caller of a live session ``session_id`` of ``user_id`` (read on every request)."""
        row = await self._database.fetchrow(_AUTHENTICATE, session_id, user_id)
        if row is None:
            raise NotAuthenticated()
        return Principal(account=Account.from_row(row), session_id=session_id)

    async def end_session(self, session_id: uuid.UUID) -> None:
        """Revoke ``session_id`` (a sign-out from the admin panel)."""
        await self._revoke(session_id, reason="logout")

    async def _check_credentials(self, login: str, password: str) -> uuid.UUID:
        """The id of the account ``login`` names if ``password`` is its password."""
        by_email = "@" in login
        key = normalize_email(login) if by_email else normalize_username(login)
        row = await self._database.fetchrow(
            _CREDENTIALS_BY_EMAIL if by_email else _CREDENTIALS_BY_USERNAME, key
        )
        # A missing account still costs one argon2 verification: timing does not reveal who exists.
        if not await self._passwords.verify(row["password_hash"] if row else None, password) or row is None:
            raise InvalidCredentials()
        if row["status"] == "deleted":
            raise InvalidCredentials()  # its password hash is gone; this only covers a race
        if row["status"] == "disabled":
            raise AccountDisabled()  # told only to whoever knows the password
        if self._passwords.needs_rehash(row["password_hash"]):
            await self._database.execute(_REHASH, row["id"], await self._passwords.hash(password))
        user_id: uuid.UUID = row["id"]
        return user_id

    async def refresh(self, refresh_token: str) -> IssuedTokens:
        """Rotate ``refresh_token``: it stops working and a new pair is returned."""
        digest = refresh_token_digest(refresh_token)
        async with self._database.transaction() as connection:
            rotated = await connection.fetchrow(_ROTATE, digest, _now())
            if rotated is not None:
                session_id, expires_at = rotated["session_id"], rotated["expires_at"]
                session = await connection.fetchrow(_SESSION, session_id)
                if session is None or session["revoked_at"] is not None or expires_at <= _now():
                    raise InvalidRefreshToken()
                return await self._issue(connection, session["user_id"], session_id, session["created_at"])
        replayed = await self._database.fetchrow(_SESSION_OF_REFRESH, digest)
        if replayed is None:
            raise InvalidRefreshToken()
        await self._revoke(replayed["session_id"], reason="refresh_token_reused")
        raise RefreshTokenReused()

    async def logout(self, refresh_token: str) -> None:
        """Revoke the session of ``refresh_token``. Unknown tokens are ignored (as RFC 7009 asks)."""
        row = await self._database.fetchrow(_SESSION_OF_REFRESH, refresh_token_digest(refresh_token))
        if row is not None:
            await self._revoke(row["session_id"], reason="logout")

    async def revoke_others(self, user_id: uuid.UUID, keep: uuid.UUID) -> None:
        """End every session of ``user_id`` except ``keep`` (after a password change)."""
        await self._database.execute(_REVOKE_OTHERS, user_id, keep, _now())

    async def authenticate(self, access_token: str) -> Principal:
        """The caller behind ``access_token``: a valid token of a live session of an existing user."""
        try:
            claims = self._access_tokens.verify(access_token)
        except InvalidToken:
            raise NotAuthenticated() from None
        # The account is read with the session on every request, not taken from the token: a role
        # change, a suspension or its end counts from the caller's next request.
        return await self.authenticate_session(claims.session_id, claims.user_id)

    async def _issue(
        self,
        connection: Connection,
        user_id: uuid.UUID,
        session_id: uuid.UUID,
        session_started: datetime.datetime,
    ) -> IssuedTokens:
        now = _now()
        expires_at = min(now + self._refresh_ttl, session_started + self._session_max_age)
        if expires_at <= now:
            raise InvalidRefreshToken()  # the session has reached its maximum age: log in again
        refresh_token = new_refresh_token()
        await connection.execute(_ISSUE, refresh_token_digest(refresh_token), session_id, now, expires_at)
        return IssuedTokens(
            access_token=self._access_tokens.issue(user_id, session_id),
            refresh_token=refresh_token,
            expires_in=self._access_tokens.ttl_seconds,
            refresh_expires_in=int((expires_at - now).total_seconds()),
        )

    async def _revoke(self, session_id: uuid.UUID, *, reason: str) -> None:
        await self._database.execute(_REVOKE, session_id, _now(), reason)
