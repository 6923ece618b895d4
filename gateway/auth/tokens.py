"""Access tokens (short-lived JWTs) and opaque refresh tokens."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from typing import Any

import jwt
import msgspec

ALGORITHM = "HS256"  # pinned: tokens claiming any other algorithm are rejected
ISSUER = "flock"


class InvalidToken(Exception):
    """The token is malformed, tampered with, expired, or not one of ours."""


class AccessClaims(msgspec.Struct, frozen=True):
    """What an access token says: the user, the login session it belongs to, and its lifetime."""

    user_id: uuid.UUID
    session_id: uuid.UUID
    issued_at: int
    expires_at: int


class AccessTokens:
    """Issues and checks HS256 JWTs carrying ``sub`` (user), ``sid`` (session), ``iat`` and ``exp``."""

    def __init__(self, secret: str, ttl_seconds: int) -> None:
        self._secret = secret
        self.ttl_seconds = ttl_seconds

    def issue(self, user_id: uuid.UUID, session_id: uuid.UUID, *, now: int | None = None) -> str:
        issued_at = int(time.time()) if now is None else now
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "sub": str(user_id),
            "sid": str(session_id),
            "iat": issued_at,
            "exp": issued_at + self.ttl_seconds,
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def verify(self, token: str) -> AccessClaims:
        """The claims of a valid token; :class:`InvalidToken` otherwise."""
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "sid", "iss"]},
            )
            return AccessClaims(
                user_id=uuid.UUID(claims["sub"]),
                session_id=uuid.UUID(claims["sid"]),
                issued_at=int(claims["iat"]),
                expires_at=int(claims["exp"]),
            )
        except (jwt.PyJWTError, ValueError, TypeError, KeyError) as error:
            raise InvalidToken(str(error)) from None


def new_refresh_token() -> str:
    """An opaque refresh token: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def refresh_token_digest(token: str) -> str:
    """What the database stores instead of the token: a leak of the table reveals no usable token.
    A plain SHA-256 suffices because the token is 256 random bits, not a guessable password."""
    return hashlib.sha256(token.encode()).hexdigest()
