"""Accounts as HTTP schemas."""

from __future__ import annotations

import msgspec

from gateway.users.schemas import OwnProfile, PublicProfile
from gateway.users.service import Account


def public_profile(account: Account, counts: tuple[int, int] = (0, 0)) -> PublicProfile:
    """``counts``: the account's followers and following."""
    profile = msgspec.convert(account, PublicProfile, from_attributes=True)
    profile.follower_count, profile.following_count = counts
    return profile


def own_profile(account: Account, counts: tuple[int, int] = (0, 0)) -> OwnProfile:
    profile = msgspec.convert(account, OwnProfile, from_attributes=True)
    profile.follower_count, profile.following_count = counts
    return profile
