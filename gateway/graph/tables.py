"""Piccolo tables of the social graph: who follows whom, and who asked to."""

from __future__ import annotations

from piccolo.columns import BigSerial, ForeignKey, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.constraints import Check, Unique
from piccolo.table import Table

from gateway.users.tables import User


class Follow(Table, tablename="follows"):
    """One account following another: ``accepted`` at once for a public account, ``pending`` until
    the owner of a private one accepts. One row per pair (the unique constraint says so), so a follower
    cannot follow twice or ask twice.

    The lists (followers, following, requests) read the partial indexes of the "follows indexes"
    migration, which Piccolo tables cannot declare.
    """

    id = BigSerial(primary_key=True)
    follower_id = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False)
    followee_id = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False)
    status = Varchar(length=16, null=False)
    requested_at = Timestamptz(null=False)
    accepted_at = Timestamptz(null=True, default=None)

    one_per_pair = Unique(["follower_id", "followee_id"])
    known_status = Check("status IN ('accepted', 'pending')")
    accepted_when_accepted = Check("(status = 'accepted') = (accepted_at IS NOT NULL)")
    not_oneself = Check("follower_id <> followee_id")
