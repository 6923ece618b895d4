"""Access tokens (short-lived JWTs) and opaque refresh tokens."""

from __future__ import annotations

import hashlib
import hmac
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

    def issue(
        self,
        user_id: uuid.UUID,
        session_id: uuid.UUID,
        *,
        now: int | None = None,
        audience: str | None = None,
        ttl_seconds: int | None = None,
    ) -> str:
        """A token for ``user_id`` in ``session_id``. With an ``audience`` (the admin panel's cookie),
        it is valid only where that audience is asked for: never as an API bearer token."""
        issued_at = int(time.time()) if now is None else now
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "sub": str(user_id),
            "sid": str(session_id),
            "iat": issued_at,
            "exp": issued_at + (self.ttl_seconds if ttl_seconds is None else ttl_seconds),
        }
        if audience is not None:
            claims["aud"] = audience
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def verify(self, token: str, *, audience: str | None = None) -> AccessClaims:
        """The claims of a valid token (of ``audience``, or of none: PyJWT refuses a token that names
        an audience when none is asked for); :class:`InvalidToken` otherwise."""
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                audience=audience,
                options={"require": ["exp", "iat", "sub", "sid", "iss", *(["aud"] if audience else [])]},
            )
            return AccessClaims(
                user_id=uuid.UUID(claims["sub"]),
                session_id=uuid.UUID(claims["sid"]),
                issued_at=int(claims["iat"]),
                expires_at=int(claims["exp"]),
            )
        except (jwt.PyJWTError, ValueError, TypeError, KeyError) as error:
            raise InvalidToken(str(error)) from None

    def mac(self, message: str) -> str:
        """HMAC-SHA256 of ``message`` under the token secret (the admin panel's CSRF tokens)."""
        return hmac.new(self._secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def new_refresh_token() -> str:
    """An opaque refresh token: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def refresh_token_digest(token: str) -> str:
    """What the database stores instead of the token: a leak of the table reveals no usable token.
    A plain SHA-256 suffices because the token is 256 random bits, not a guessable password."""
    return hashlib.sha256(token.encode()).hexdigest()
