"""HTTP schemas for logging in and out."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from gateway.users.schemas import NO_CONTROL_CHARACTERS

RefreshTokenText = Annotated[
    str,
    msgspec.Meta(
        min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_\-]+$", description="A refresh token as issued."
    ),
]


class LoginRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Credentials: ``username`` takes the username or the e-mail address."""

    username: Annotated[
        str,
        msgspec.Meta(
            min_length=1,
            max_length=254,
            pattern=NO_CONTROL_CHARACTERS,
            description="A username or an e-mail address.",
            examples=["ada_lovelace"],
        ),
    ]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]


class RefreshRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A refresh token to exchange (refresh) or revoke (logout)."""

    refresh_token: RefreshTokenText


class TokenPair(msgspec.Struct, kw_only=True):
    """A short-lived access token (send as ``Authorization: Bearer …``) and a one-time refresh token."""

    access_token: str
    refresh_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - a scheme name
    expires_in: int = msgspec.field(default=0)
    refresh_expires_in: int = msgspec.field(default=0)
