"""HTTP schemas of the mail that proves or recovers an account."""

from __future__ import annotations

from typing import Annotated

import msgspec

from gateway.users.schemas import Email, Password

# A token from a mailed link (verification and reset tokens are 43 characters; anything far longer is
# not one of ours, and is refused before it is hashed).
Token = Annotated[
    str, msgspec.Meta(min_length=1, max_length=512, description="The `token` parameter of the mailed link.")
]


class EmailVerification(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The token of a verification link."""

    token: Token


class PasswordResetRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The address to mail a reset link to, if an account has it."""

    email: Email


class PasswordReset(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The token of a reset link and the new password (the same rules as at registration)."""

    token: Token
    password: Password


class MailAccepted(msgspec.Struct, kw_only=True):
    """A mail was asked for; ``detail`` says what happens next."""

    detail: str


class Unsubscribed(msgspec.Struct, kw_only=True):
    """What the link turned off: ``new_posts``, the mail about new posts of followed accounts."""

    unsubscribed: str
