"""Piccolo tables of blocks and mutes: who keeps whom away."""

from __future__ import annotations

from piccolo.columns import BigSerial, Boolean, ForeignKey, Timestamptz
from piccolo.columns.base import OnDelete
from piccolo.constraints import Check, Unique
from piccolo.table import Table

from gateway.users.tables import User


class Block(Table, tablename="blocks"):
    """``blocker_id`` blocks ``blocked_id``: neither follows the other, and neither sees the other's
    content (the blocked account not even the blocker's profile). One row per pair and direction."""

    id = BigSerial(primary_key=True)
    blocker_id = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False)
    blocked_id = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False)
    created_at = Timestamptz(null=False)

    one_block_per_pair = Unique(["blocker_id", "blocked_id"])
    no_block_of_oneself = Check("blocker_id <> blocked_id")


class Mute(Table, tablename="mutes"):
    """``muter_id`` mutes ``muted_id``: its posts and comments leave the muter's feed, comment lists
    and search until ``until`` (null: until unmuted), and with ``notifications`` its notifications
    too. The muted account notices nothing. One row per pair and direction."""

    id = BigSerial(primary_key=True)
    muter_id = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False)
    muted_id = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False)
    created_at = Timestamptz(null=False)
    until = Timestamptz(null=True, default=None)
    notifications = Boolean(null=False, default=True)

    one_mute_per_pair = Unique(["muter_id", "muted_id"])
    no_mute_of_oneself = Check("muter_id <> muted_id")
