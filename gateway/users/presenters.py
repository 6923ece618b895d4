"""Accounts as HTTP schemas."""

from __future__ import annotations

from typing import TypeVar

import msgspec

from gateway.users.schemas import OwnProfile, PublicProfile
from gateway.users.service import Account

Profile = TypeVar("Profile", PublicProfile, OwnProfile)


def _profile(account: Account, schema: type[Profile], counts: tuple[int, int]) -> Profile:
    profile = msgspec.convert(account, schema, from_attributes=True)
    profile.follower_count, profile.following_count = counts
    return profile


def public_profile(account: Account, counts: tuple[int, int] = (0, 0)) -> PublicProfile:
    """``counts``: the account's followers and following."""
    return _profile(account, PublicProfile, counts)


def own_profile(account: Account, counts: tuple[int, int] = (0, 0)) -> OwnProfile:
    profile = _profile(account, OwnProfile, counts)
    profile.status = account.state.effective()  # a suspension that has ended reads active
    if profile.status == "active":
        profile.suspended_until, profile.status_reason = None, ""
    return profile
