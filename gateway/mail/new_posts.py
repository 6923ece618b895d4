"""Mail about new posts: when an account posts something its followers may read (public or
followers-only), each approved follower with a verified address hears of it as their
``email_new_posts`` says: ``instant`` (a mail now), ``daily`` (the post waits in ``digest_items`` for
their next digest) or ``off``. Not those the post's author is hidden from (suspended, deleted), nor
followers who mute the author.

The notifier does the fan-out from the post's ``PostCreated`` event, never the request that posted:
an author with 50,000 followers posts as fast as one with none. The fan-out is one
``INSERT … SELECT`` into the mail outbox per post (10,000 followers: one statement), deduplicated by
``new_post:<post>:<recipient>``, so an event applied twice queues nothing twice.

Digests: :meth:`NewPostMail.send_digests` (the notifier runs it every few seconds) sends each
follower whose digest is due (``FLOCK_DIGEST_INTERVAL`` after the previous one, or after their first
waiting post) one mail with the posts gathered since. A post deleted or made private before then
leaves the digest.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from gateway.clients.posts import Caller, PostsClient
from gateway.mail.links import Links
from gateway.mail.queue import Mail, enqueue
from gateway.notifications.notifier import NotifierInput
from gateway.users.status import hidden_sql
from idl.flock.events.v1.events import PostCreated, PostDeleted, PostUpdated
from servicekit.background import in_background
from servicekit.backoff import Backoff
from servicekit.database import Connection, Database

log = logging.getLogger("flock.mail.new_posts")

# How much of a post a mail quotes.
EXCERPT_CHARS = 280
# Posts listed in one digest (the rest are counted).
DIGEST_POSTS = 50
# Recipients whose digest is built per round.
DIGEST_BATCH = 100

_FOLLOWERS_TO_TELL = f"""
FROM follows f JOIN users u ON u.id = f.follower_id JOIN users a ON a.id = f.followee_id
WHERE f.followee_id = $2 AND f.status = 'accepted' AND u.email_new_posts = '{{setting}}' AND u.email_verified
  AND NOT {hidden_sql("u")} AND NOT {hidden_sql("a")}
  AND NOT EXISTS (SELECT 1 FROM mutes m WHERE m.muter_id = u.id AND m.muted_id = a.id
                  AND (m.until IS NULL OR m.until > now()))
"""  # noqa: S608 - only constants are interpolated
_INSTANT = (
    """
INSERT INTO mail_outbox (dedup_key, recipient_id, address, template, context, category)
SELECT 'new_post:' || $1::uuid::text || ':' || u.id::text, u.id, u.email, 'new_post',
       jsonb_build_object('username', u.username, 'author_username', a.username,
                          'author_display_name', a.display_name, 'excerpt', $3::text, 'post_url', $4::text),
       'notification'
"""
    + _FOLLOWERS_TO_TELL.format(setting="instant")
    + "ON CONFLICT (dedup_key) DO NOTHING"
)
_DAILY = (
    """
INSERT INTO digest_items (recipient_id, post_id, author_id, excerpt, created_at)
SELECT u.id, $1::uuid, a.id, $3::text, $4
"""
    + _FOLLOWERS_TO_TELL.format(setting="daily")
    + "ON CONFLICT (recipient_id, post_id) DO NOTHING"
)
_UNLIST = "DELETE FROM digest_items WHERE post_id = $1"
_DUE = """
SELECT i.recipient_id FROM digest_items i JOIN users u ON u.id = i.recipient_id
GROUP BY i.recipient_id, u.digest_sent_at
HAVING coalesce(u.digest_sent_at, min(i.created_at)) + $1::interval <= now()
LIMIT $2
"""
_RECIPIENT = f"""
SELECT id, username, email, email_verified, email_new_posts, {hidden_sql("users")} AS hidden
FROM users WHERE id = $1 FOR UPDATE
"""  # noqa: S608 - only constants are interpolated
_ITEMS = """
SELECT i.id, i.post_id, i.excerpt, a.username AS author_username, a.display_name AS author_display_name
FROM digest_items i JOIN users a ON a.id = i.author_id
WHERE i.recipient_id = $1 ORDER BY i.created_at DESC, i.id DESC
"""
_DIGESTED = "DELETE FROM digest_items WHERE recipient_id = $1 AND id <= $2"
_DIGEST_SENT = "UPDATE users SET digest_sent_at = now() WHERE id = $1"


def excerpt(text: str) -> str:
    """The start of a post, as a mail quotes it."""
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1].rstrip() + "…"


class NewPostMail:
    """The fan-out of new posts to followers' mailboxes, and their daily digests."""

    def __init__(self, database: Database, posts: PostsClient, links: Links, digest_interval: float) -> None:
        self._database = database
        self._posts = posts
        self._links = links
        self._digest_interval = datetime.timedelta(seconds=digest_interval)

    async def excerpts(self, created: Sequence[PostCreated]) -> dict[uuid.UUID, str]:
        """The excerpts of the posts of ``created`` that followers may read and that still exist,
        read from the posts service as their authors (a post deleted since is left out)."""
        wanted: dict[uuid.UUID, list[uuid.UUID]] = {}
        for event in created:
            if event.visibility != "private":
                wanted.setdefault(event.post_author_id, []).append(event.post_id)
        found: dict[uuid.UUID, str] = {}
        for author_id, post_ids in wanted.items():
            client = self._posts.for_request("notifier", Caller(user_id=author_id))
            for post in await client.get_posts(post_ids):
                found[post.id] = excerpt(post.text)
        return found

    async def apply(
        self, connection: Connection, event: NotifierInput, excerpts: dict[uuid.UUID, str]
    ) -> None:
        """What ``event`` means for mail, on ``connection`` (the notifier's transaction)."""
        if isinstance(event, PostCreated):
            quoted = excerpts.get(event.post_id)
            if quoted is None:
                return  # private, or deleted already
            post_url = self._links.post(event.post_id)
            await connection.execute(_INSTANT, event.post_id, event.post_author_id, quoted, post_url)
            await connection.execute(_DAILY, event.post_id, event.post_author_id, quoted, event.occurred_at)
        elif isinstance(event, PostDeleted) or (
            isinstance(event, PostUpdated) and event.visibility == "private"
        ):
            await connection.execute(_UNLIST, event.post_id)

    async def send_digests(self) -> int:
        """Queue the digests that are due; how many."""
        due = await self._database.fetch(_DUE, self._digest_interval, DIGEST_BATCH)
        for row in due:
            await self._digest(row["recipient_id"])
        return len(due)

    async def _digest(self, recipient_id: uuid.UUID) -> None:
        async with self._database.transaction() as connection:
            recipient = await connection.fetchrow(_RECIPIENT, recipient_id)
            items = await connection.fetch(_ITEMS, recipient_id)
            if recipient is None or not items:
                return
            newest = max(item["id"] for item in items)
            wanted = (
                recipient["email_verified"]
                and recipient["email_new_posts"] != "off"
                and not recipient["hidden"]
            )
            if wanted:
                posts = [
                    {
                        "author_username": item["author_username"],
                        "author_display_name": item["author_display_name"],
                        "excerpt": item["excerpt"],
                        "post_url": self._links.post(item["post_id"]),
                    }
                    for item in items[:DIGEST_POSTS]
                ]
                mail = Mail(
                    dedup_key=f"digest:{recipient_id}:{newest}",
                    address=recipient["email"],
                    template="digest",
                    context={
                        "username": recipient["username"],
                        "posts": posts,
                        "more": len(items) - len(posts),
                    },
                    category="notification",
                    recipient_id=recipient_id,
                )
                await enqueue(connection, [mail])
            await connection.execute(_DIGESTED, recipient_id, newest)
            await connection.execute(_DIGEST_SENT, recipient_id)


@asynccontextmanager
async def digests_running(new_posts: NewPostMail, interval: float) -> AsyncIterator[None]:
    """Digests sent in the background for the block, looked for every few seconds (a quarter of the
    digest interval, between half a second and a minute)."""
    period = min(max(interval / 4, 0.5), 60.0)

    async def loop() -> None:
        backoff = Backoff()
        while True:
            try:
                if await new_posts.send_digests():
                    continue
                backoff.reset()
            except Exception as error:  # noqa: BLE001 - the database is back sooner or later
                log.warning("sending digests failed, again in a while: %r", error)
                await asyncio.sleep(backoff.next())
            await asyncio.sleep(period)

    async with in_background(loop(), "digests"):
        yield
