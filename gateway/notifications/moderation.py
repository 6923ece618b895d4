"""Moderation notices: staff's decisions about a member's account or content, told to the member as a
``moderation`` notification with the reason (and a suspension's end).

Unlike the other kinds these are not built from events: the decision is the gateway's own, so the
notice is written in the decision's transaction (``gateway/moderation/service.py``), exactly once.
Staff stay anonymous: a notice has no actors.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Literal

from uuid_utils.compat import uuid7

from gateway.notifications.notifier import Entry, add
from servicekit.database import Connection

Action = Literal["suspended", "suspension_lifted", "post_removed", "comment_removed"]


async def tell(
    connection: Connection,
    recipient_id: uuid.UUID,
    action: Action,
    reason: str,
    *,
    until: datetime.datetime | None = None,
    post_id: uuid.UUID | None = None,
    comment_id: uuid.UUID | None = None,
) -> None:
    """Notify ``recipient_id`` of ``action``, in ``connection``'s transaction."""
    data = {
        "action": action,
        "reason": reason,
        "until": until.isoformat() if until else None,
        "post_id": str(post_id) if post_id else None,
        "comment_id": str(comment_id) if comment_id else None,
    }
    # The removed content's ids live in ``data`` only: deleting the post must not delete the notice.
    entry = Entry("moderation", f"moderation:{uuid7()}", data=data)
    await add(connection, recipient_id, None, entry, datetime.datetime.now(tz=datetime.UTC))
