"""HTTP schemas for accounts and profiles."""

from __future__ import annotations

import datetime
import uuid
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

Username = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[A-Za-z0-9_]{3,30}$",
        description="3–30 letters, digits or underscores; stored lower-case, unique case-insensitively.",
        examples=["ada_lovelace"],
    ),
]
Email = Annotated[
    str,
    msgspec.Meta(
        max_length=254,
        pattern=r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$",
        description="A valid e-mail address; unique case-insensitively.",
        examples=["ada@example.org"],
    ),
]
Password = Annotated[str, msgspec.Meta(min_length=8, max_length=128, examples=["correct horse battery"])]
# What mail about new posts of followed accounts to get: each at once, one digest a day, or none.
NewPostsMail = Annotated[
    Literal["instant", "daily", "off"],
    msgspec.Meta(description="Mail about new posts of accounts I follow: `instant`, `daily` or `off`."),
]
# PostgreSQL text cannot hold NUL, and control characters (C0, C1) and bidirectional embeddings,
# overrides and isolates (U+202A–U+202E, U+2066–U+2069) in names only ever deceive. Every script,
# emoji and joiner is fine.
_BIDI = "\\u202a-\\u202e\\u2066-\\u2069"
NO_CONTROL_CHARACTERS = rf"^[^\x00-\x1f\x7f-\x9f{_BIDI}]*$"
DisplayName = Annotated[
    str,
    msgspec.Meta(
        max_length=50,
        pattern=NO_CONTROL_CHARACTERS,
        description="Up to 50 characters, no control characters or bidirectional overrides; shown instead "
        "of the username.",
    ),
]
Bio = Annotated[
    str,
    msgspec.Meta(
        max_length=300,
        pattern=rf"^[^\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}]*$",
        description="Up to 300 characters; line breaks and tabs allowed, other control characters and "
        "bidirectional overrides not.",
    ),
]


class UserCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A new account."""

    username: Username
    email: Email
    password: Password
    display_name: DisplayName = ""


class RegistrationAccepted(msgspec.Struct, kw_only=True):
    """The answer to every registration that is not refused, whether the e-mail address was free (the
    account exists now) or had an account already (nothing was created; its owner will be told by
    mail): the answer does not say which addresses have accounts."""

    username: str
    detail: str


class UserUpdate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Changes to one's own account; absent fields stay as they are. Changing ``email`` or
    ``password`` needs ``current_password``; a new password ends every other session."""

    display_name: DisplayName | UnsetType = UNSET
    bio: Bio | UnsetType = UNSET
    is_private: bool | UnsetType = UNSET
    email: Email | UnsetType = UNSET
    password: Password | UnsetType = UNSET
    current_password: Annotated[str, msgspec.Meta(max_length=128)] | UnsetType = UNSET
    email_new_posts: NewPostsMail | UnsetType = UNSET


class PublicProfile(msgspec.Struct, kw_only=True):
    """What anyone may see of an account."""

    id: uuid.UUID
    username: str
    display_name: str
    bio: str
    is_private: bool
    created_at: datetime.datetime
    follower_count: int = 0  # approved followers
    following_count: int = 0  # accounts followed (approved)


class OwnProfile(PublicProfile, kw_only=True):
    """One's own account: the public profile plus private details."""

    email: str
    role: str
    updated_at: datetime.datetime
    # Where the account stands: `active`, or `suspended` until `suspended_until` (null: no end) for
    # `status_reason`; a suspended account may read but not post, comment, like or follow.
    status: str = "active"
    suspended_until: datetime.datetime | None = None
    status_reason: str = ""
    email_verified: bool = False
    # A new address waiting for its verification link (null: none); until then `email` counts.
    pending_email: str | None = None
    email_new_posts: NewPostsMail = "instant"


class AccountDeletion(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Deleting one's own account needs its password."""

    password: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
