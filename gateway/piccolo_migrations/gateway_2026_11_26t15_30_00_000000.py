"""User search: trigram sets of each username and display name, and the indexes that find them.

PostgreSQL's pg_trgm would do this, but it is a contrib extension, and neither the embedded server
(pgserver) nor every managed one has it. So ``flock_trigrams`` computes the same sets in plain SQL,
as pg_trgm does: lower-case, split into words of letters and digits, pad each word with two spaces
before and one after, keep each distinct three-character substring. ``gateway/search/users.py``
scores with them (Jaccard similarity of the sets) and pages by score.

The trigram columns are generated (STORED) from the names, so nothing that writes ``users`` needs to
know about them. They are deliberately not in the Piccolo ``User`` table: Piccolo's auto migrations
would try to manage them, and every query names its columns, so they read nothing they do not expect.

Written by hand from Piccolo's empty-migration template (``piccolo migrations new gateway``).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-26T15:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "user search"

FORWARDS = [
    # IMMUTABLE, so generated columns may call it; a SQL-standard body (PostgreSQL 14+) is parsed once
    # and depends on nothing the search_path could change.
    """
    CREATE FUNCTION flock_trigrams(value text) RETURNS text[]
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
        RETURN ARRAY(
            SELECT DISTINCT substr(padded, start, 3)
            FROM regexp_split_to_table(lower(value), '[^[:alnum:]]+') AS word,
                LATERAL (SELECT '  ' || word || ' ' AS padded) AS words,
                LATERAL generate_series(1, length(padded) - 2) AS start
            WHERE word <> ''
            ORDER BY 1
        )
    """,
    """
    ALTER TABLE users
        ADD COLUMN username_trigrams text[] GENERATED ALWAYS AS (flock_trigrams(username)) STORED,
        ADD COLUMN display_name_trigrams text[] GENERATED ALWAYS AS (flock_trigrams(display_name)) STORED
    """,
    # Fuzzy matches: rows sharing a trigram with the query (array overlap, &&).
    "CREATE INDEX users_username_trigrams ON users USING gin (username_trigrams)",
    "CREATE INDEX users_display_name_trigrams ON users USING gin (display_name_trigrams)",
    # Username prefixes (LIKE 'ada%'), whatever the database's collation.
    "CREATE INDEX users_username_prefix ON users (username varchar_pattern_ops)",
]

BACKWARDS = [
    "DROP INDEX users_username_prefix",
    "DROP INDEX users_display_name_trigrams",
    "DROP INDEX users_username_trigrams",
    "ALTER TABLE users DROP COLUMN display_name_trigrams, DROP COLUMN username_trigrams",
    "DROP FUNCTION flock_trigrams(text)",
]


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="gateway", description=DESCRIPTION)

    async def run(statements):
        for statement in statements:
            await RawTable.raw(statement)

    async def create():
        await run(FORWARDS)

    async def drop():
        await run(BACKWARDS)

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
