"""``python -m stats [run|serve|consume|setup]``.

- ``run`` (the default): the gRPC StatsService and the event consumer in one process, as the embedded
  ClickHouse (chdb) needs: it opens one data path per process.
- ``serve`` / ``consume``: one of the two, each against a ClickHouse server (``http(s)://`` URL).
- ``setup``: create the broker's topics and apply the ClickHouse schema; idempotent.
"""

from __future__ import annotations

import asyncio
import functools
import sys
from collections.abc import Callable

from servicekit import cli
from stats.settings import load_settings

# Settings are read before the rest is imported: a bad one stops the process at once.


def _serve(mode: str) -> None:
    settings = load_settings()
    from stats import server

    asyncio.run(server.serve(settings, server.MODES[mode]))


def setup() -> None:
    """Create the topics and apply the schema."""
    settings = load_settings()
    from stats.setup import setup as set_up

    cli.configure_logging(settings.log_level)
    asyncio.run(set_up(settings))


COMMANDS: dict[str, Callable[[], None]] = {
    "run": functools.partial(_serve, "run"),
    "serve": functools.partial(_serve, "serve"),
    "consume": functools.partial(_serve, "consume"),
    "setup": setup,
}

if __name__ == "__main__":
    sys.exit(cli.main("stats", COMMANDS, sys.argv[1:]))
