"""The posts the benchmark writes straight into the posts table: UUIDv7 ids of their times, texts from
a small vocabulary, a mix of visibilities."""

from __future__ import annotations

import argparse
import random
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

_rng = random.Random(2026)  # noqa: S311 - the same data in every run; nothing secret
VOCABULARY = """
morning evening garden river mountain city train music book cat dog bird window rain sun light friend
family school work office meeting project code python database server cloud network bread cheese apple
orange market street bicycle running walking swimming travel holiday beach summer winter autumn spring
flower tree forest lake ocean boat island bridge tower museum painting photo camera film story poem
letter phone screen game team match goal score season
"""
WORDS = VOCABULARY.split()
DAYS = 90


def uuid7_at(moment: datetime) -> uuid.UUID:
    """A UUIDv7 of ``moment`` (the ids the service makes sort by creation time)."""
    millis = int(moment.timestamp() * 1000)
    rand_a, rand_b = _rng.getrandbits(12), _rng.getrandbits(62)
    return uuid.UUID(int=(millis << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b)


def body() -> str:
    """A post's text: 5 to 40 words of the vocabulary, "coffee" among them in about 30 % of posts."""
    words = _rng.choices(WORDS, k=_rng.randint(5, 40))
    if _rng.random() < 0.3:
        words.insert(_rng.randrange(len(words)), "coffee")
    return " ".join(words)


def visibility() -> str:
    """75 % public, 20 % followers-only, 5 % private."""
    roll = _rng.random()
    return "public" if roll < 0.75 else "followers" if roll < 0.95 else "private"


def rows(authors: Sequence[uuid.UUID], count: int, now: datetime) -> list[tuple[Any, ...]]:
    """``count`` rows of the posts table by ``authors``, evenly spread over the last :data:`DAYS` days."""
    start = now - timedelta(days=DAYS)
    step = timedelta(days=DAYS) / count
    made = []
    for i in range(count):
        at = start + step * i
        made.append((uuid7_at(at), _rng.choice(authors), body(), visibility(), at, at, 0, 0))
    return made


def account_states(hidden: int, purged: int, now: datetime) -> list[tuple[Any, ...]]:
    """``hidden`` accounts suspended for a year and ``purged`` deleted ones whose content is gone (see
    ``posts/accounts.py``): what every read path's filter looks through, though none of them wrote a
    post here, so that the answers are the same as with none."""
    year = now + timedelta(days=365)
    return [(uuid.uuid4(), 1, "suspended", True, year, now) for _ in range(hidden)] + [
        (uuid.uuid4(), 2, "deleted", False, None, now) for _ in range(purged)
    ]


def relations(reader: uuid.UUID, blocks: int, mutes: int, now: datetime) -> list[tuple[Any, ...]]:
    """``reader`` blocking ``blocks`` accounts and muting ``mutes`` others (see ``posts/relations.py``),
    none of them an author here: what the feed's and the search's filters read, with the same answers
    as with none."""
    blocking = [(reader, uuid.uuid4(), 1, True, False, None, False, now) for _ in range(blocks)]
    return blocking + [(reader, uuid.uuid4(), 1, False, True, None, False, now) for _ in range(mutes)]


async def seed(
    db_url: str, args: argparse.Namespace, reader: uuid.UUID
) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    """Write the posts (the accounts of ``--hidden`` and ``--purged``, and the ``--blocks`` and
    ``--mutes`` of ``reader``) straight into the tables (COPY), then VACUUM ANALYZE (or ANALYZE);
    return the authors the reader follows and the others."""
    followed = [uuid.uuid4() for _ in range(args.authors)]
    others = [uuid.uuid4() for _ in range(args.other_authors)]
    now = datetime.now(UTC) - timedelta(minutes=1)
    connection = await asyncpg.connect(db_url)
    try:
        columns = ["id", "author_id", "text", "visibility", "created_at", "updated_at"]
        columns += ["like_count", "comment_count"]
        for authors, count in ((followed, args.posts), (others, args.other_posts)):
            await connection.copy_records_to_table(
                "posts", records=rows(authors, count, now), columns=columns
            )
        await connection.copy_records_to_table(
            "account_states",
            records=account_states(args.hidden, args.purged, now),
            columns=["account_id", "version", "status", "hidden", "hidden_until", "updated_at"],
        )
        await connection.copy_records_to_table(
            "relations",
            records=relations(reader, args.blocks, args.mutes, now),
            columns=[
                "actor_id",
                "target_id",
                "version",
                "blocking",
                "muting",
                "muted_until",
                "mute_notifications",
                "updated_at",
            ],
        )
        await connection.execute("VACUUM ANALYZE posts" if args.vacuum else "ANALYZE posts")
        await connection.execute("VACUUM ANALYZE account_states")
        await connection.execute("VACUUM ANALYZE relations")
    finally:
        await connection.close()
    return followed, others


async def median_id(db_url: str, authors: list[uuid.UUID]) -> uuid.UUID:
    """The median id of the posts of ``authors``: a cursor half-way back in time."""
    connection = await asyncpg.connect(db_url)
    try:
        ids = await connection.fetch(
            "SELECT id FROM posts WHERE author_id = ANY($1::uuid[]) ORDER BY id", authors
        )
    finally:
        await connection.close()
    return uuid.UUID(str(ids[len(ids) // 2]["id"]))
