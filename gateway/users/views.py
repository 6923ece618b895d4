"""Accounts as HTTP schemas."""

from __future__ import annotations

import msgspec

from gateway.users.schemas import OwnProfile, PublicProfile
from gateway.users.service import Account


def public_profile(account: Account) -> PublicProfile:
    return msgspec.convert(account, PublicProfile, from_attributes=True)


def own_profile(account: Account) -> OwnProfile:
    return msgspec.convert(account, OwnProfile, from_attributes=True)
