"""Finding accounts by username and display name: exact, prefix and fuzzy (typos), in plain SQL.

Fuzzy matching compares trigram sets, as PostgreSQL's pg_trgm does, without the extension (it is not
everywhere, and not in the embedded server): the "user search" migration adds ``flock_trigrams(text)`` and
keeps each account's sets in generated columns, with GIN indexes.

**Score.** An integer, so the last one of a page goes into a cursor and comes back exactly: ``tier *
10_000_000 + similarity``. ``tier`` is 3 for the username itself, 2 for a username that starts with the
query, 1 for a username or display name with a word that starts with it (words are runs of letters and
digits: ``ada_lovelace`` and ``Ada Lovelace`` both hold ``lovelace``; a query of several words must match
consecutive words), else 0. ``similarity`` is the best Jaccard similarity of the query's trigram set with
the username's, the display name's, or any one word's of either (a typo in one word of a long name still
counts), shared / (|a| + |b| - shared), in millionths. Tier 0 needs a similarity of 0.3 at least
(pg_trgm's default threshold). Results go by score, best first, then by username, which is unique: the
keyset of the pages.

**Candidates,** found through the indexes before anything is scored: the username (its unique index),
usernames that start with the query (``varchar_pattern_ops``), names holding every trigram of the query
but those that end a word (a word prefix), and names sharing a trigram with the query's *fuzzy keys*
(``&&``). A similarity of 0.3 needs s >= 0.3 (|a| + |b|) / 1.3 shared trigrams, and |b| >= 2 for a name
with a word (or for one word of it, whose set is part of the name's), so s >= ceil(3 (|a| + 2) / 13). Any
set sharing that many with the query shares one with every subset of |a| - (s - 1) of its trigrams: the
fuzzy keys leave out s - 1 of them, the most common kinds first (a word's first letter, its first two
letters, its ending), which keeps the overlap from matching every name that merely starts with the same
letter.
"""

from __future__ import annotations

import dataclasses
import uuid

from gateway.users.status import shown_sql
from servicekit.database import Database

TIER = 10_000_000
THRESHOLD = 300_000  # a similarity of 0.3, in millionths
MAX_SCORE = 4 * TIER  # above any score: where the first page starts

_SEARCH_USERS = f"""
WITH query AS (
    SELECT trigrams, cardinality(trigrams) AS size,
        nullif(btrim(regexp_replace($1::text, '[^[:alnum:]]+', ' ', 'g')), '') AS words,
        -- What a word prefix must contain: every trigram but those that end a word.
        nullif(ARRAY(SELECT t FROM unnest(trigrams) AS t WHERE t NOT LIKE '% '), '{{}}') AS prefix_keys,
        -- What a close enough set must overlap (see the module's docstring).
        ARRAY(
            SELECT t FROM unnest(trigrams) AS t
            ORDER BY
                CASE WHEN t LIKE '  %' THEN 0 WHEN t LIKE ' %' THEN 1 WHEN t LIKE '% ' THEN 2 ELSE 3 END, t
            OFFSET (3 * cardinality(trigrams) + 5) / 13  -- s - 1
        ) AS fuzzy_keys
    FROM flock_trigrams($1::text) AS trigrams
),
candidates AS MATERIALIZED (
    SELECT u.id, u.username, u.display_name, u.is_private, u.username_trigrams, u.display_name_trigrams
    FROM users AS u
    WHERE (u.username = $1::text
        OR u.username LIKE $2::text
        OR u.username_trigrams @> (SELECT prefix_keys FROM query)
        OR u.display_name_trigrams @> (SELECT prefix_keys FROM query)
        OR u.username_trigrams && (SELECT fuzzy_keys FROM query)
        OR u.display_name_trigrams && (SELECT fuzzy_keys FROM query))
        AND {shown_sql("u")}
        -- Not an account that blocks the viewer ($6; NULL: anonymous or staff): it is not there for them.
        AND NOT EXISTS (SELECT 1 FROM blocks AS b WHERE b.blocker_id = u.id AND b.blocked_id = $6::uuid)
),
scored AS MATERIALIZED (
    SELECT c.id, c.username, c.display_name, c.is_private,
        CASE
            WHEN c.username = $1::text THEN 3
            WHEN c.username LIKE $2::text THEN 2
            WHEN ' ' || regexp_replace(c.username, '[^[:alnum:]]+', ' ', 'g') LIKE '% ' || q.words || '%'
                OR ' ' || regexp_replace(lower(c.display_name), '[^[:alnum:]]+', ' ', 'g')
                    LIKE '% ' || q.words || '%'
                THEN 1
            ELSE 0
        END * {TIER}
        + greatest(
            shared.username * 1000000
                / nullif(q.size + cardinality(c.username_trigrams) - shared.username, 0),
            shared.display_name * 1000000
                / nullif(q.size + cardinality(c.display_name_trigrams) - shared.display_name, 0),
            best_word.similarity,
            0
        ) AS score
    FROM candidates AS c
    CROSS JOIN query AS q
    CROSS JOIN LATERAL (
        SELECT count(*) FILTER (WHERE t = ANY (c.username_trigrams)) AS username,
            count(*) FILTER (WHERE t = ANY (c.display_name_trigrams)) AS display_name
        FROM unnest(q.trigrams) AS t
    ) AS shared
    -- The best single word of either name: a typo in a surname ("fild") against "Hana Field" as a
    -- whole is diluted by the other words; against "field" alone it is close.
    CROSS JOIN LATERAL (
        SELECT max(matched.n * 1000000 / nullif(q.size + cardinality(word.trigrams) - matched.n, 0))
            AS similarity
        FROM regexp_split_to_table(c.username || ' ' || lower(c.display_name), '[^[:alnum:]]+') AS part,
            LATERAL (SELECT flock_trigrams(part) AS trigrams) AS word,
            LATERAL (SELECT count(*) AS n FROM unnest(q.trigrams) AS t WHERE t = ANY (word.trigrams))
                AS matched
        WHERE part <> ''
    ) AS best_word
)
SELECT id, username, display_name, is_private, score
FROM scored
WHERE score >= {THRESHOLD} AND (score < $3::bigint OR (score = $3::bigint AND username > $4::text))
ORDER BY score DESC, username
LIMIT $5::integer
"""  # noqa: S608 - the only interpolations are the integer constants above


@dataclasses.dataclass(frozen=True, slots=True)
class UserKey:
    """Where an account sorts in the results: by score, best first, then by username."""

    score: int
    username: str


FIRST = UserKey(MAX_SCORE, "")  # before every result


@dataclasses.dataclass(frozen=True, slots=True)
class UserMatch:
    id: uuid.UUID
    username: str
    display_name: str
    is_private: bool
    score: int

    @property
    def key(self) -> UserKey:
        return UserKey(self.score, self.username)


def like_prefix(text: str) -> str:
    """A LIKE pattern for values that start with ``text`` (its wildcards taken literally)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%"


async def search_users(
    database: Database, terms: str, limit: int, after: UserKey, *, viewer: uuid.UUID | None = None
) -> tuple[list[UserMatch], UserKey | None]:
    """Up to ``limit`` accounts matching ``terms`` (trimmed, 2+ characters) that sort after ``after``,
    best first, and the key to continue from (None when there are no more); none that blocks
    ``viewer``."""
    terms = terms.lower()
    rows = await database.fetch(
        _SEARCH_USERS, terms, like_prefix(terms), after.score, after.username, limit + 1, viewer
    )
    found = [UserMatch(r["id"], r["username"], r["display_name"], r["is_private"], r["score"]) for r in rows]
    if len(found) <= limit:
        return found, None
    return found[:limit], found[limit - 1].key
