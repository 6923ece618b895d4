"""Followers-only posts, the home feed and full-text search: what the schema needs for them, none of
which Piccolo's table definitions can say or its auto-migrations would notice.

- The visibility check accepts 'followers'. Piccolo compares constraints by name only, so tables.py
  states the new condition and this migration makes it true (drop and add under the same name).
  Going back makes followers-only posts private: the narrowest reading, hiding nothing it showed.
- ``search_vector``, the post's text as an 'english' tsvector, a generated column the database keeps
  itself, with a GIN index for ``@@`` (SearchPosts). Adding it rewrites the table once.
- The index of an author's posts by id gains ``visibility`` as an included column, so that the feed
  (one short scan per followed author) and ListPosts decide what the caller may see from the index
  alone; it replaces the "keyset indexes" one on (author_id, id), which it covers.

Written by hand from Piccolo's empty-migration template (``piccolo migrations new posts``).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-26T15:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "feed and search"

FORWARDS = [
    "ALTER TABLE posts DROP CONSTRAINT known_visibility",
    "ALTER TABLE posts ADD CONSTRAINT known_visibility CHECK (visibility IN ('public', 'followers', 'private'))",
    """
    ALTER TABLE posts ADD COLUMN search_vector tsvector
        GENERATED ALWAYS AS (to_tsvector('english', text)) STORED
    """,
    "CREATE INDEX posts_search_vector ON posts USING GIN (search_vector)",
    "CREATE INDEX posts_author_id_id_visibility ON posts (author_id, id) INCLUDE (visibility)",
    "DROP INDEX posts_author_id_id",
]

BACKWARDS = [
    "CREATE INDEX posts_author_id_id ON posts (author_id, id)",
    "DROP INDEX posts_author_id_id_visibility",
    "DROP INDEX posts_search_vector",
    "ALTER TABLE posts DROP COLUMN search_vector",
    "ALTER TABLE posts DROP CONSTRAINT known_visibility",
    "UPDATE posts SET visibility = 'private' WHERE visibility = 'followers'",
    "ALTER TABLE posts ADD CONSTRAINT known_visibility CHECK (visibility IN ('public', 'private'))",
]


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="posts", description=DESCRIPTION)

    async def create():
        for statement in FORWARDS:
            await RawTable.raw(statement)

    async def drop():
        for statement in BACKWARDS:
            await RawTable.raw(statement)

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
