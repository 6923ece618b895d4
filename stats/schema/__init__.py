"""The ClickHouse schema as versioned SQL files (``NNNN_what.sql`` in this folder), applied in order.

Each applied version is recorded in ``schema_migrations``; applying again runs only the new files, so
``python -m stats setup`` is idempotent. Statements use ``IF NOT EXISTS`` besides, so a file cut short
by a crash can simply run again. A file holds statements separated by ``;`` at the end of a line.
"""

from __future__ import annotations

import re
from pathlib import Path

from stats.clickhouse import Connection

FOLDER = Path(__file__).parent
_NAME = re.compile(r"^(\d{4})_\w+\.sql$")

_LEDGER = """
CREATE TABLE IF NOT EXISTS schema_migrations
(
    version String,
    applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
ORDER BY version
"""


def migrations() -> list[tuple[str, list[str]]]:
    """Every schema file as (version, statements), oldest first."""
    found = []
    for path in sorted(FOLDER.glob("*.sql")):
        if not _NAME.match(path.name):
            raise ValueError(f"schema file not named NNNN_what.sql: {path.name}")
        found.append((path.stem, statements(path.read_text())))
    return found


def statements(sql: str) -> list[str]:
    """The statements of a file: ``--`` comments dropped, split at a ``;`` that ends a line."""
    text = "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))
    return [part.strip() for part in re.split(r";\s*$", text, flags=re.MULTILINE) if part.strip()]


def applied(connection: Connection) -> set[str]:
    connection.command(_LEDGER)
    return {str(row[0]) for row in connection.rows("SELECT DISTINCT version FROM schema_migrations")}


def migrate(connection: Connection) -> list[str]:
    """Apply the files not applied yet; return their versions."""
    done = applied(connection)
    new = []
    for version, file_statements in migrations():
        if version in done:
            continue
        for statement in file_statements:
            connection.command(statement)
        connection.insert("schema_migrations", ["version"], [[version]])
        new.append(version)
    return new
