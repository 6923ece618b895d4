"""The mail sender: hands ``mail_outbox`` to SMTP, each mail once, whatever the server does.

A round claims due mails (``FOR UPDATE SKIP LOCKED`` and a lease, so several notifiers never take
one mail twice, and a sender that dies mid-round lets its mails go again when the lease ends),
renders them (:mod:`gateway.mail.render`) and hands them over on a few SMTP connections at once.
Then each mail is:

- ``sent`` when the server accepted it (``accepted_at``, and its reply), recorded the moment the server
  says so;
- ``failed`` when the server refused it for good (5xx: no such user, message refused), or when it
  was refused for a while (4xx, server down) for longer than ``FLOCK_MAIL_RETRY_FOR``;
- ``queued`` again otherwise, for an attempt after a backoff that doubles from
  ``FLOCK_MAIL_RETRY_FIRST_MS`` up to an hour;

the last two (and mails held back by the rate limit) in one statement each at the end of the round.

Notification mails (new posts, digests) are limited per address (``FLOCK_MAIL_RATE_PER_HOUR``): those
over the limit wait for the hour to make room, counted from what the server accepted. Mail that
proves or recovers an account is never held back by it.

Delivery is at least once, with a window of one mail per SMTP connection: a sender that dies between
the server's acceptance of a mail and the update that records it (one statement, a millisecond)
sends that mail again when its lease ends. It keeps its ``Message-ID``
(:func:`gateway.mail.render.message_id`), so the receiving side can tell. The queue wakes the sender
with ``pg_notify`` (the outbox's insert trigger) and it polls every ``FLOCK_MAIL_POLL_MS`` besides.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime
import functools
import json
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import asyncpg

from gateway.mail.links import Links
from gateway.mail.render import QueuedMail, envelope_sender, render
from gateway.mail.smtp import DeliveryFailed, Smtp, Unreachable
from gateway.settings import GatewaySettings
from servicekit.background import in_background
from servicekit.backoff import Backoff
from servicekit.database import Database, Row

log = logging.getLogger("flock.mail.sender")

CHANNEL = "flock_mail_outbox"
# SMTP conversations one round holds at once.
CONNECTIONS = 4
# A claimed mail is another sender's to take after this long (a round that died).
LEASE = datetime.timedelta(minutes=5)
RETRY_CAP = datetime.timedelta(hours=1)
RATE_WINDOW = datetime.timedelta(hours=1)

_CLAIM = """
WITH due AS (
    SELECT id FROM mail_outbox
    WHERE (status = 'queued' AND next_attempt_at <= now()) OR (status = 'sending' AND leased_until < now())
    ORDER BY next_attempt_at, id
    LIMIT $1
    FOR UPDATE SKIP LOCKED
)
UPDATE mail_outbox m SET status = 'sending', leased_until = now() + $2::interval, attempts = m.attempts + 1
FROM due WHERE m.id = due.id
RETURNING m.id, m.address, m.template, m.context, m.category, m.recipient_id, m.attempts, m.created_at
"""
# How many notification mails each address was handed lately, and when the oldest of them was.
_SENT_LATELY = """
SELECT address, count(*) AS sent, min(accepted_at) AS oldest FROM mail_outbox
WHERE category = 'notification' AND accepted_at > now() - $2::interval AND address = ANY($1::text[])
GROUP BY address
"""
_DEFER = """
UPDATE mail_outbox SET status = 'queued', leased_until = NULL, attempts = attempts - 1, next_attempt_at = w.at
FROM unnest($1::bigint[], $2::timestamptz[]) AS w(id, at) WHERE mail_outbox.id = w.id
"""
_SENT = """
UPDATE mail_outbox SET status = 'sent', leased_until = NULL, accepted_at = now(), smtp_reply = r.reply
FROM unnest($1::bigint[], $2::text[]) AS r(id, reply) WHERE mail_outbox.id = r.id
"""
_FAILED = """
UPDATE mail_outbox SET status = 'failed', leased_until = NULL, last_error = r.error
FROM unnest($1::bigint[], $2::text[]) AS r(id, error) WHERE mail_outbox.id = r.id
"""
_RETRY = """
UPDATE mail_outbox SET status = 'queued', leased_until = NULL, last_error = r.error, next_attempt_at = r.at
FROM unnest($1::bigint[], $2::text[], $3::timestamptz[]) AS r(id, error, at) WHERE mail_outbox.id = r.id
"""


@dataclasses.dataclass(frozen=True, slots=True)
class _Claimed:
    mail: QueuedMail
    attempts: int
    created_at: datetime.datetime


@dataclasses.dataclass(slots=True)
class RoundOutcome:
    """What one round did, by mail id."""

    sent: dict[int, str] = dataclasses.field(default_factory=dict)
    failed: dict[int, str] = dataclasses.field(default_factory=dict)
    retry: dict[int, tuple[str, datetime.datetime]] = dataclasses.field(default_factory=dict)
    deferred: dict[int, datetime.datetime] = dataclasses.field(default_factory=dict)

    @property
    def handled(self) -> int:
        return len(self.sent) + len(self.failed) + len(self.retry) + len(self.deferred)


class MailSender:
    """Sends the outbox of one database through one SMTP server."""

    def __init__(self, database: Database, settings: GatewaySettings, links: Links) -> None:
        self._database = database
        self._settings = settings
        self._links = links
        self._smtp = Smtp(settings)
        self._wake = asyncio.Event()
        self._retry_first = datetime.timedelta(milliseconds=settings.mail_retry_first_ms)
        self._retry_for = datetime.timedelta(seconds=settings.mail_retry_for)
        self._rate = settings.mail_rate_per_hour

    async def send_due(self) -> RoundOutcome:
        """One round: claim up to ``FLOCK_MAIL_BATCH`` due mails, hand them over, record the outcome."""
        rows = await self._database.fetch(_CLAIM, self._settings.mail_batch, LEASE)
        outcome = RoundOutcome()
        if not rows:
            return outcome
        claimed = [_claimed(row) for row in rows]
        now = datetime.datetime.now(datetime.UTC)
        to_send = await self._within_rate(claimed, outcome)
        chunks = [to_send[start::CONNECTIONS] for start in range(CONNECTIONS)]
        await asyncio.gather(*(self._deliver(chunk, outcome, now) for chunk in chunks if chunk))
        await self._record(outcome)
        return outcome

    async def _within_rate(self, claimed: list[_Claimed], outcome: RoundOutcome) -> list[_Claimed]:
        """The claimed mails the per-address limit lets through now; the others deferred."""
        addresses = sorted({c.mail.address for c in claimed if c.mail.category == "notification"})
        if not addresses:
            return claimed
        lately = {
            row["address"]: row for row in await self._database.fetch(_SENT_LATELY, addresses, RATE_WINDOW)
        }
        budget = {
            address: self._rate - (lately[address]["sent"] if address in lately else 0)
            for address in addresses
        }
        now = datetime.datetime.now(datetime.UTC)
        allowed: list[_Claimed] = []
        for item in claimed:
            address = item.mail.address
            if item.mail.category != "notification":
                allowed.append(item)
            elif budget[address] > 0:
                budget[address] -= 1
                allowed.append(item)
            else:
                oldest = lately[address]["oldest"] if address in lately else now
                outcome.deferred[item.mail.id] = max(oldest + RATE_WINDOW, now + self._retry_first)
        return allowed

    async def _deliver(
        self, chunk: Sequence[_Claimed], outcome: RoundOutcome, now: datetime.datetime
    ) -> None:
        """Hand ``chunk`` over on one SMTP conversation, one mail after another."""
        sender = self._settings.mail_from
        pending = list(chunk)
        try:
            async with self._smtp.connection() as connection:
                while pending:
                    item = pending[0]
                    try:
                        message = render(item.mail, sender=sender, links=self._links)
                        reply = await connection.send(message, envelope_sender(sender), item.mail.address)
                    except Unreachable:
                        raise
                    except DeliveryFailed as error:
                        self._refused(item, error, outcome, now)
                    except Exception as error:
                        log.exception("mail %d (%s) cannot be sent", item.mail.id, item.mail.template)
                        outcome.failed[item.mail.id] = f"not rendered: {error!r}"
                    else:
                        # At once, not with the round: a crash now resends at most this one mail.
                        await self._database.execute(_SENT, [item.mail.id], [reply])
                        outcome.sent[item.mail.id] = reply
                    pending.pop(0)
        except Unreachable as error:
            log.warning(
                "SMTP server %s:%s: %s", self._settings.smtp_host, self._settings.smtp_port, error.reply
            )
            for item in pending:
                self._refused(item, error, outcome, now)

    def _refused(
        self, item: _Claimed, error: DeliveryFailed, outcome: RoundOutcome, now: datetime.datetime
    ) -> None:
        if error.permanent:
            outcome.failed[item.mail.id] = error.reply
            return
        retry_at = now + min(RETRY_CAP, self._retry_first * 2 ** min(item.attempts - 1, 20))
        if retry_at - item.created_at > self._retry_for:
            outcome.failed[item.mail.id] = f"gave up after {item.attempts} attempts: {error.reply}"
        else:
            outcome.retry[item.mail.id] = (error.reply, retry_at)

    async def _record(self, outcome: RoundOutcome) -> None:
        async with self._database.transaction() as connection:
            if outcome.failed:
                await connection.execute(_FAILED, list(outcome.failed), list(outcome.failed.values()))
            if outcome.retry:
                errors, times = zip(*outcome.retry.values(), strict=True)
                await connection.execute(_RETRY, list(outcome.retry), list(errors), list(times))
            if outcome.deferred:
                await connection.execute(_DEFER, list(outcome.deferred), list(outcome.deferred.values()))
        for mail_id, reason in outcome.failed.items():
            log.warning("mail %d failed: %s", mail_id, reason)

    def wake(self, *_: object) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Send until cancelled; a round that fails (the database away) is tried again after a backoff."""
        backoff = Backoff(first=0.5, cap=30.0)
        poll = self._settings.mail_poll_ms / 1000
        while True:
            self._wake.clear()
            try:
                outcome = await self.send_due()
            except Exception as error:  # noqa: BLE001 - nothing may stop the sender for good
                delay = backoff.next()
                log.warning("mail sender: %r; again in %.1f s", error, delay)
                await asyncio.sleep(delay)
                continue
            backoff.reset()
            if outcome.handled >= self._settings.mail_batch:
                continue  # more are waiting
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), poll)


async def _listen(db_url: str, sender: MailSender) -> None:
    """Wake ``sender`` whenever mail is queued; reconnect when the connection drops."""
    backoff = Backoff(first=0.5, cap=30.0)
    while True:
        connection = None
        try:
            connection = await asyncpg.connect(db_url)
            closed = asyncio.Event()
            connection.add_termination_listener(functools.partial(_set, closed))
            await connection.add_listener(CHANNEL, sender.wake)
            backoff.reset()
            await closed.wait()
        except Exception as error:  # noqa: BLE001 - polling goes on meanwhile
            log.info("mail sender: no wake-ups (%r)", error)
        finally:
            if connection is not None and not connection.is_closed():
                connection.terminate()
        await asyncio.sleep(backoff.next())


def _set(event: asyncio.Event, *_: object) -> None:
    event.set()


@asynccontextmanager
async def running(settings: GatewaySettings, database: Database, links: Links) -> AsyncIterator[None]:
    """The sender in the background for the block; none without ``FLOCK_SMTP_HOST`` (mail then waits
    in the outbox)."""
    if not settings.smtp_host:
        log.warning("FLOCK_SMTP_HOST is empty: mail waits in the outbox, nothing is sent")
        yield
        return
    sender = MailSender(database, settings, links)
    async with (
        in_background(sender.run(), "mail-sender"),
        in_background(_listen(settings.db_url, sender), "mail-sender-wakeups"),
    ):
        yield


def _claimed(row: Row) -> _Claimed:
    context = row["context"]
    mail = QueuedMail(
        id=row["id"],
        address=row["address"],
        template=row["template"],
        context=json.loads(context) if isinstance(context, str) else context,
        category=row["category"],
        recipient_id=row["recipient_id"],
    )
    return _Claimed(mail, row["attempts"], row["created_at"])
