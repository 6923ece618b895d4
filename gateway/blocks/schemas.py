"""HTTP schemas of blocks and mutes."""

from __future__ import annotations

import datetime
from typing import Annotated

import msgspec

from gateway.blocks.service import MAX_MUTE_SECONDS
from gateway.http.schemas import Author

MuteSeconds = Annotated[
    int,
    msgspec.Meta(ge=1, le=MAX_MUTE_SECONDS, description="Seconds from now; leave out to mute until unmuted."),
]


class MuteRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Mute an account: for ``duration`` seconds (none: until unmuted), and its notifications too
    unless ``notifications`` is false. Muting it again replaces both."""

    duration: MuteSeconds | None = None
    notifications: bool = True


class MutedAccount(msgspec.Struct, kw_only=True):
    """An account I mute, since when, until when (null: until I unmute it), and whether its
    notifications too."""

    user: Author
    since: datetime.datetime
    until: datetime.datetime | None
    notifications: bool


class MutePage(msgspec.Struct, kw_only=True):
    """A page of the accounts I mute, most recent first; pass ``next_cursor`` as ``cursor`` for the next
    one (null on the last page)."""

    items: list[MutedAccount]
    next_cursor: str | None
