"""Piccolo tables of e-mail: the mail outbox and the posts waiting for daily digests."""

from __future__ import annotations

from piccolo.columns import JSONB, UUID, BigSerial, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Check, Unique
from piccolo.table import Table

from gateway.users.tables import User


class OutgoingMail(Table, tablename="mail_outbox"):
    """A mail to send, written in the transaction that decides it (``gateway/mail/queue.py``) and
    delivered by the sender (``gateway/mail/sender.py``), which renders ``template`` with ``context``.

    ``dedup_key`` makes one decision one mail (``new_post:<post>:<recipient>``). ``status``: ``queued``
    (waiting for ``next_attempt_at``), ``sending`` (leased to a sender until ``leased_until``),
    ``sent`` (SMTP accepted it at ``accepted_at``), ``failed`` (refused for good, ``last_error`` says
    why). ``category`` ``notification`` mails carry an unsubscribe link and count towards the
    recipient's rate limit; ``transactional`` ones (verification, reset) do neither.
    """

    id = BigSerial(primary_key=True)
    dedup_key = Varchar(length=200, null=False, unique=True)
    recipient_id = ForeignKey(references=User, on_delete=OnDelete.cascade, null=True, default=None)
    address = Varchar(length=254, null=False)
    template = Varchar(length=32, null=False)
    context = JSONB(null=False, default="{}")
    category = Varchar(length=16, null=False)
    status = Varchar(length=16, null=False, default="queued")
    attempts = Integer(null=False, default=0)
    next_attempt_at = Timestamptz(null=False, default=TimestamptzNow())
    leased_until = Timestamptz(null=True, default=None)
    accepted_at = Timestamptz(null=True, default=None)
    smtp_reply = Text(null=False, default="")
    last_error = Text(null=False, default="")
    created_at = Timestamptz(null=False, default=TimestamptzNow())

    known_status = Check("status IN ('queued', 'sending', 'sent', 'failed')")
    known_category = Check("category IN ('transactional', 'notification')")


class DigestItem(Table, tablename="digest_items"):
    """A new post waiting for a follower's daily digest (``email_new_posts = 'daily'``)."""

    id = BigSerial(primary_key=True)
    recipient_id = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False)
    post_id = UUID(null=False)
    author_id = UUID(null=False)
    excerpt = Text(null=False)
    created_at = Timestamptz(null=False)

    one_item_per_post = Unique(["recipient_id", "post_id"])
