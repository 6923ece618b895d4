"""The new-post mail fan-out (``just bench``'s ``fanout`` part): one author with ``--fanout-followers``
verified followers posts once through the REST API; measured are the time until the notifier has
queued every follower's mail, and until the SMTP server has accepted the last one.

The followers are written straight into the gateway's database (one statement; ``--fanout-followers``
accounts through the API would cost minutes of argon2 hashing that this part does not measure): they
cannot log in, only receive mail, at ``@fanout.invalid`` addresses. Re-runs with the same ``--seed``
reuse them. The times come from the outbox itself (``created_at`` and ``accepted_at`` of the post's
mails), so the part needs the gateway's database: the running ``just up``'s, or ``--gateway-db-url``.
With ``just up``, the mails land in ``.flock/mail/`` like any other.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable

import asyncpg

from scripts.benchmark.errors import BenchError
from scripts.benchmark.report import table
from scripts.seeding import Api
from scripts.seeding.api import expect

_FOLLOWERS = """
WITH made AS (
    INSERT INTO users (id, username, email, password_hash, display_name, email_verified, email_new_posts)
    SELECT gen_random_uuid(), $1 || '_' || n, $1 || '_' || n || '@fanout.invalid', '!', 'Fan ' || n,
           true, 'instant'
    FROM generate_series(1, $2) AS n
    ON CONFLICT DO NOTHING
    RETURNING id
)
SELECT count(*) FROM made
"""
_FOLLOW_ALL = """
INSERT INTO follows (follower_id, followee_id, status, requested_at, accepted_at)
SELECT u.id, $2, 'accepted', now(), now() FROM users u
WHERE u.username LIKE $1 || '\\_%' AND u.email LIKE '%@fanout.invalid' AND u.id <> $2
ON CONFLICT DO NOTHING
"""
_PROGRESS = """
SELECT count(*) AS queued, count(*) FILTER (WHERE status = 'sent') AS sent,
       count(*) FILTER (WHERE status = 'failed') AS failed,
       max(created_at) AS last_queued, max(accepted_at) AS last_accepted
FROM mail_outbox WHERE dedup_key LIKE 'new_post:' || $1 || ':%'
"""


@dataclasses.dataclass(frozen=True)
class FanOutResult:
    followers: int
    queued_seconds: float  # from sending the post to the last mail queued
    sent_seconds: float  # from sending the post to the last mail accepted by SMTP
    failed: int

    @property
    def mails_per_second(self) -> float:
        return self.followers / self.sent_seconds if self.sent_seconds > 0 else 0.0


def fanout_table(result: FanOutResult) -> str:
    return table(
        ["Followers", "All mails queued s", "Last mail handed to SMTP s", "Mails/s", "Failed"],
        [
            [
                f"{result.followers:,}",
                f"{result.queued_seconds:.2f}",
                f"{result.sent_seconds:.2f}",
                f"{result.mails_per_second:,.0f}",
                str(result.failed),
            ]
        ],
        numbers_from=0,
    )


async def _columns_exist(connection: asyncpg.Connection) -> None:
    found = await connection.fetchval(
        "SELECT count(*) FROM information_schema.columns"
        " WHERE table_name = 'users' AND column_name = 'email_new_posts'"
    )
    if not found:
        raise BenchError("the gateway's database has no mail columns: is the system up to date?")


async def fan_out(
    api: Api, db_url: str, *, followers: int, seed: int, within: float, log: Callable[[str], None]
) -> FanOutResult:
    """Seed (or reuse) the author and its followers, post once, and wait for every mail."""
    prefix = f"fanout{seed}"
    author = api.account(f"{prefix}_author", 0)
    await api.register(author, email=f"{prefix}-author@fanout.invalid", display_name="Fan-out author")
    await api.login(author)
    connection = await asyncpg.connect(db_url)
    try:
        await _columns_exist(connection)
        made = await connection.fetchval(_FOLLOWERS, prefix, followers)
        await connection.execute(_FOLLOW_ALL, prefix, author.id)
        total = await connection.fetchval(
            "SELECT count(*) FROM follows WHERE followee_id = $1 AND status = 'accepted'", author.id
        )
        log(f"Fan-out: {total:,} verified followers ({made:,} new); posting once …")
        started = time.time()
        response = await api.request(
            "POST", "/posts", account=author, json={"text": f"Hello, {total:,} followers!"}, retry_lost=False
        )
        post_id = expect(response, {201}, "post to the followers")["id"]
        deadline = time.monotonic() + within
        while True:
            progress = await connection.fetchrow(_PROGRESS, post_id)
            if progress["queued"] >= total and progress["sent"] + progress["failed"] >= total:
                break
            if time.monotonic() > deadline:
                raise BenchError(
                    f"fan-out: after {within:.0f} s, {progress['queued']:,} of {total:,} mails queued and "
                    f"{progress['sent']:,} sent: is the notifier running, with an SMTP server?"
                )
            await asyncio.sleep(0.1)
    finally:
        await connection.close()
    return FanOutResult(
        followers=int(total),
        queued_seconds=progress["last_queued"].timestamp() - started,
        sent_seconds=(progress["last_accepted"].timestamp() - started) if progress["last_accepted"] else 0.0,
        failed=int(progress["failed"]),
    )
