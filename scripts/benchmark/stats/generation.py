"""The data the queries run on: events generated straight into ClickHouse (INSERT … SELECT FROM
numbers()), and the counter tables from them, as ingest would have left them."""

from __future__ import annotations

import asyncio
import datetime
import functools
import time

from stats import schema
from stats.clickhouse import ClickHouse, Connection

POSTS, AUTHORS, DAYS = 100_000, 20_000, 30
_POST_ID = "toUUID(concat('00000000-0000-4000-8000-', leftPad(toString({p}), 12, '0')))"
_AUTHOR_ID = "toUUID(concat('00000000-0000-4000-9000-', leftPad(toString({p} % {authors}), 12, '0')))"
_DELTAS = {
    "likes": "multiIf(type = 'post_liked', 1, type = 'post_unliked', -1, 0)",
    "views": "toInt64(type = 'post_viewed')",
    "comments": "multiIf(type = 'comment_added', 1, type = 'comment_deleted', -1, 0)",
}


def generation_sql(rows: int, now: datetime.datetime) -> list[str]:
    """INSERT … SELECT statements that fill ``events`` with ``rows`` events and then the counter tables
    from it. Posts are created uniformly over the last 30 days; a post's events follow its creation by
    an exponential delay (mean: one day); which post gets an event is skewed (square of a uniform)."""
    post = _POST_ID.format(p="p")
    author = _AUTHOR_ID.format(p="p", authors=AUTHORS)
    now_sql = f"toDateTime64({int(now.timestamp())}, 3, 'UTC')"
    created = f"{now_sql} - toIntervalSecond(cityHash64(p) % {DAYS * 86400})"
    delay = "toIntervalSecond(toUInt32(-log(1 - randCanonical()) * 86400))"
    kind = (
        "multiIf(r < 80, 'post_viewed', r < 92, 'post_liked', r < 94, 'post_unliked',"
        " r < 99, 'comment_added', 'comment_deleted')"
    )
    columns = (
        "event_id, type, occurred_at, post_id, author_id, actor_id, viewer_key, comment_id,"
        " kafka_topic, kafka_partition, kafka_offset"
    )
    counters = ", ".join(f"sum({expression})" for expression in _DELTAS.values())
    counted = "type NOT IN ('post_created', 'post_updated', 'post_deleted')"
    return [
        f"INSERT INTO events ({columns}) SELECT generateUUIDv7(number), {kind} AS type,"  # noqa: S608 - constants
        f" least({created} + {delay}, {now_sql}), {post}, {author}, generateUUIDv4(number),"
        " if(type = 'post_viewed', toString(rand(3) % 200000), ''), NULL, 'bench', 0, number"
        f" FROM (SELECT number, rand(1) % 100 AS r, toUInt64({POSTS} * pow(randCanonical(), 2)) AS p"
        f" FROM numbers({rows}))",
        f"INSERT INTO events ({columns}) SELECT generateUUIDv7(number),"  # noqa: S608 - constants
        f" if(number < {POSTS}, 'post_created', 'post_deleted'), {created}, {post}, {author}, {author},"
        f" '', NULL, 'bench', 1, number FROM (SELECT number, number % {POSTS} AS p"
        f" FROM numbers({POSTS + POSTS // 100}))",
        f"INSERT INTO post_totals SELECT post_id, any(author_id), {counters},"  # noqa: S608 - constants
        " max(type = 'post_deleted'), (0, -1) FROM events GROUP BY post_id",
        "INSERT INTO post_hours SELECT toStartOfHour(occurred_at) AS hour, post_id,"  # noqa: S608 - constants
        f" any(author_id), {counters}, 0, (0, -1) FROM events WHERE {counted} GROUP BY hour, post_id",
        "INSERT INTO post_days SELECT toDate(occurred_at) AS day, post_id,"  # noqa: S608 - constants
        f" any(author_id), {counters}, 0, (0, -1) FROM events WHERE {counted} GROUP BY day, post_id",
        "INSERT INTO viewers SELECT DISTINCT post_id, toDate(occurred_at), viewer_key FROM events"
        " WHERE type = 'post_viewed'",
    ]


def generate(url: str, rows: int) -> float:
    """Apply the schema, generate the data at ``url`` in this process and let its merges settle; return
    the seconds taken."""

    async def run() -> None:
        clickhouse = ClickHouse(url)
        try:
            await clickhouse.call(schema.migrate)
            for statement in generation_sql(rows, datetime.datetime.now(datetime.UTC)):
                await clickhouse.call(functools.partial(_command, sql=statement))
            await settle(clickhouse)
        finally:
            await clickhouse.close()

    started = time.monotonic()
    asyncio.run(run())
    return time.monotonic() - started


async def settle(clickhouse: ClickHouse, seconds: float = 120.0) -> None:
    """Wait (at most ``seconds``) for the background merges a bulk load starts: in a table in use they
    would be long done."""
    deadline, quiet = time.monotonic() + seconds, 0
    while quiet < 3 and time.monotonic() < deadline:
        merges = await clickhouse.call(
            lambda connection: connection.rows("SELECT count() FROM system.merges")
        )
        quiet = quiet + 1 if merges[0][0] == 0 else 0
        await asyncio.sleep(1)


def _command(connection: Connection, sql: str) -> None:
    connection.command(sql)
