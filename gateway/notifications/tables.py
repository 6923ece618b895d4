"""Piccolo tables of in-app notifications (``gateway/notifications/``)."""

from __future__ import annotations

from piccolo.columns import JSONB, UUID, BigInt, BigSerial, ForeignKey, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.constraints import Check, Unique
from piccolo.table import Table

from gateway.users.tables import User


class Notification(Table, tablename="notifications"):
    """One entry of a member's notifications: one action, or a group of alike actions (the likes of
    one post within a day) whose actors are in :class:`NotificationActor`.

    ``group_key`` names what the entry is about (``like:<post>:<day>``, ``follow:<actor>``...): one
    entry per recipient and key. ``seq`` orders the list and moves up when a group gains an actor (it
    becomes unread again); ``id`` stays.
    """

    id = UUID(primary_key=True)
    recipient_id = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False)
    kind = Varchar(length=32, null=False)
    group_key = Varchar(length=200, null=False)
    post_id = UUID(null=True, default=None)
    comment_id = UUID(null=True, default=None)
    # What the kind needs beyond ids (a moderation notice's reason and end).
    data = JSONB(null=False, default="{}")
    seq = BigInt(null=False)
    created_at = Timestamptz(null=False)
    updated_at = Timestamptz(null=False)
    read_at = Timestamptz(null=True, default=None)

    one_entry_per_key = Unique(["recipient_id", "group_key"])
    known_kind = Check(
        "kind IN ('follow', 'follow_request', 'follow_accepted', 'like', 'comment', 'reply', 'mention',"
        " 'moderation')"
    )


class NotificationActor(Table, tablename="notification_actors"):
    """Who did what an entry tells, and when: one row per actor and entry, so that undoing an action
    (an unlike) takes exactly that actor out of its group."""

    id = BigSerial(primary_key=True)
    notification_id = ForeignKey(references=Notification, on_delete=OnDelete.cascade, null=False)
    actor_id = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False)
    acted_at = Timestamptz(null=False)

    one_row_per_actor = Unique(["notification_id", "actor_id"])


class NotifierEvent(Table, tablename="notifier_events"):
    """The events the notifier has applied, by id: a redelivered or replayed event is skipped. Rows
    older than the notifier's horizon are deleted (older events are ignored anyway)."""

    event_id = UUID(primary_key=True)
    processed_at = Timestamptz(null=False)
