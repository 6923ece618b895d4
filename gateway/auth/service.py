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
from gateway.auth.tables import AuthSession, RefreshToken
from gateway.auth.tokens import AccessTokens, InvalidToken, new_refresh_token, refresh_token_digest
from gateway.sql import fetch
from gateway.users.service import Account, normalize_email, normalize_username
from gateway.users.tables import User


class InvalidCredentials(Exception):
    """Unknown account or wrong password; the two are indistinguishable on purpose."""


class InvalidRefreshToken(Exception):
    """The refresh token is unknown, expired, or its session was revoked."""


class RefreshTokenReused(Exception):
    """A rotated refresh token was presented again; its session has been revoked."""


class NotAuthenticated(Exception):
    """The access token is missing, invalid, expired, or its session was revoked."""


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


def _now() -> datetime.datetime:
    return datetime.datetime.now(tz=datetime.UTC)


_ACCOUNT_COLUMNS = ", ".join(f"u.{field.name}" for field in dataclasses.fields(Account))
# Column names come from the Account dataclass, never from input.
_AUTHENTICATE = (
    f"SELECT {_ACCOUNT_COLUMNS} FROM auth_sessions s JOIN users u ON u.id = s.user_id"  # noqa: S608
    " WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL"
)


class Sessions:
    """Login sessions and their tokens."""

    def __init__(
        self,
        passwords: Passwords,
        access_tokens: AccessTokens,
        *,
        refresh_ttl_seconds: int,
        session_max_age_seconds: int,
    ) -> None:
        self._passwords = passwords
        self._access_tokens = access_tokens
        self._refresh_ttl = datetime.timedelta(seconds=refresh_ttl_seconds)
        self._session_max_age = datetime.timedelta(seconds=session_max_age_seconds)

    async def login(self, login: str, password: str) -> IssuedTokens:
        """Check credentials (username or e-mail) and open a session."""
        column = User.email if "@" in login else User.username
        key = normalize_email(login) if "@" in login else normalize_username(login)
        row = await User.select(User.id, User.password_hash).where(column == key).first()
        # A missing account still costs one argon2 verification: timing does not reveal who exists.
        if not await self._passwords.verify(row["password_hash"] if row else None, password) or row is None:
            raise InvalidCredentials()
        if self._passwords.needs_rehash(row["password_hash"]):
            new_hash = await self._passwords.hash(password)
            await User.update({User.password_hash: new_hash}).where(User.id == row["id"])
        async with AuthSession._meta.db.transaction():
            session = await AuthSession.insert(AuthSession(user_id=row["id"])).returning(
                AuthSession.id, AuthSession.created_at
            )
            return await self._issue(row["id"], session[0]["id"], session[0]["created_at"])

    async def refresh(self, refresh_token: str) -> IssuedTokens:
        """Rotate ``refresh_token``: it stops working and a new pair is returned."""
        digest = refresh_token_digest(refresh_token)
        async with RefreshToken._meta.db.transaction():
            rotated = await (
                RefreshToken.update({RefreshToken.used_at: _now()})
                .where((RefreshToken.token_hash == digest) & RefreshToken.used_at.is_null())
                .returning(RefreshToken.session_id, RefreshToken.expires_at)
            )
            if rotated:
                session_id, expires_at = rotated[0]["session_id"], rotated[0]["expires_at"]
                session = (
                    await AuthSession.select(
                        AuthSession.user_id, AuthSession.revoked_at, AuthSession.created_at
                    )
                    .where(AuthSession.id == session_id)
                    .first()
                )
                if session is None or session["revoked_at"] is not None or expires_at <= _now():
                    raise InvalidRefreshToken()
                return await self._issue(session["user_id"], session_id, session["created_at"])
        replayed = (
            await RefreshToken.select(RefreshToken.session_id)
            .where(RefreshToken.token_hash == digest)
            .first()
        )
        if replayed is None:
            raise InvalidRefreshToken()
        await self._revoke(replayed["session_id"], reason="refresh_token_reused")
        raise RefreshTokenReused()

    async def logout(self, refresh_token: str) -> None:
        """Revoke the session of ``refresh_token``. Unknown tokens are ignored (as RFC 7009 asks)."""
        row = (
            await RefreshToken.select(RefreshToken.session_id)
            .where(RefreshToken.token_hash == refresh_token_digest(refresh_token))
            .first()
        )
        if row is not None:
            await self._revoke(row["session_id"], reason="logout")

    async def revoke_others(self, user_id: uuid.UUID, keep: uuid.UUID) -> None:
        """End every session of ``user_id`` except ``keep`` (after a password change)."""
        await AuthSession.update(
            {AuthSession.revoked_at: _now(), AuthSession.revoked_reason: "password_changed"}
        ).where(
            (AuthSession.user_id == user_id) & (AuthSession.id != keep) & AuthSession.revoked_at.is_null()
        )

    async def authenticate(self, access_token: str) -> Principal:
        """The caller behind ``access_token``: a valid token of a live session of an existing user."""
        try:
            claims = self._access_tokens.verify(access_token)
        except InvalidToken:
            raise NotAuthenticated() from None
        rows = await fetch(_AUTHENTICATE, claims.session_id, claims.user_id)
        if not rows:
            raise NotAuthenticated()
        return Principal(account=Account.from_row(dict(rows[0])), session_id=claims.session_id)

    async def _issue(
        self, user_id: uuid.UUID, session_id: uuid.UUID, session_started: datetime.datetime
    ) -> IssuedTokens:
        now = _now()
        expires_at = min(now + self._refresh_ttl, session_started + self._session_max_age)
        if expires_at <= now:
            raise InvalidRefreshToken()  # the session has reached its maximum age: log in again
        refresh_token = new_refresh_token()
        await RefreshToken.insert(
            RefreshToken(
                token_hash=refresh_token_digest(refresh_token),
                session_id=session_id,
                expires_at=expires_at,
            )
        )
        return IssuedTokens(
            access_token=self._access_tokens.issue(user_id, session_id),
            refresh_token=refresh_token,
            expires_in=self._access_tokens.ttl_seconds,
            refresh_expires_in=int((expires_at - now).total_seconds()),
        )

    async def _revoke(self, session_id: uuid.UUID, *, reason: str) -> None:
        await AuthSession.update({AuthSession.revoked_at: _now(), AuthSession.revoked_reason: reason}).where(
            (AuthSession.id == session_id) & AuthSession.revoked_at.is_null()
        )
