"""Queueing mail: a row in ``mail_outbox`` (``gateway/mail/tables.py``), written in the transaction of
the decision it carries out, which the sender (``gateway/mail/sender.py``) delivers later. A request
that queues mail never waits for SMTP.

Templates and the context each needs (``gateway/mail/templates/``):

- ``verify_email``: ``username``, ``link``, ``address`` (the address being verified), ``change``
  (true when it replaces an earlier address);
- ``password_reset``: ``username``, ``link``, ``valid_minutes``;
- ``new_post``: ``username`` (the recipient), ``author_username``, ``author_display_name``,
  ``excerpt``, ``post_url``;
- ``digest``: ``username``, ``posts`` (a list of ``author_username``, ``author_display_name``,
  ``excerpt``, ``post_url``) and ``more`` (how many more posts came that the mail does not list).

``notification`` mails (new posts, digests) get their unsubscribe links from the sender, made from
``recipient_id`` (:class:`gateway.mail.links.Links`).
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from servicekit.database import Connection

Category = Literal["transactional", "notification"]
TEMPLATES = frozenset({"verify_email", "password_reset", "new_post", "digest"})

_ENQUEUE = """
INSERT INTO mail_outbox (dedup_key, recipient_id, address, template, context, category)
VALUES ($1, $2, $3, $4, $5::jsonb, $6)
ON CONFLICT (dedup_key) DO NOTHING
"""


@dataclasses.dataclass(frozen=True, slots=True)
class Mail:
    """A mail to queue. ``dedup_key`` names the decision: queueing it again is a no-op."""

    dedup_key: str
    address: str
    template: str
    context: Mapping[str, Any]
    category: Category
    recipient_id: uuid.UUID | None = None

    def __post_init__(self) -> None:
        if self.template not in TEMPLATES:
            raise ValueError(f"unknown mail template {self.template!r}")


async def enqueue(connection: Connection, mails: Iterable[Mail]) -> None:
    """Queue ``mails`` on ``connection`` (in the caller's transaction), skipping keys already queued."""
    await connection.executemany(
        _ENQUEUE,
        [
            (
                mail.dedup_key,
                mail.recipient_id,
                mail.address,
                mail.template,
                json.dumps(mail.context),
                mail.category,
            )
            for mail in mails
        ],
    )
