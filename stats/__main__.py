"""``python -m stats [run|serve|consume|setup]``.

- ``run`` (the default): the gRPC StatsService and the event consumer in one process, as the embedded
  ClickHouse (chdb) needs: it opens one data path per process.
- ``serve`` / ``consume``: one of the two, each against a ClickHouse server (``http(s)://`` URL).
- ``setup``: create the broker's topics and apply the ClickHouse schema; idempotent.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sys
from collections.abc import Callable

from stats.settings import SettingsError, load_settings, log_level

# Settings are read before the rest is imported: a bad one stops the process at once.


def _serve(mode: str) -> None:
    settings = load_settings()
    from stats import server

    asyncio.run(server.serve(settings, server.MODES[mode]))


def setup() -> None:
    settings = load_settings()
    from stats.setup import setup as set_up

    logging.basicConfig(level=log_level(settings), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    asyncio.run(set_up(settings))


COMMANDS: dict[str, Callable[[], None]] = {
    "run": functools.partial(_serve, "run"),
    "serve": functools.partial(_serve, "serve"),
    "consume": functools.partial(_serve, "consume"),
    "setup": setup,
}


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "run"
    if command not in COMMANDS:
        print(f"usage: python -m stats [{'|'.join(COMMANDS)}]", file=sys.stderr)
        return 2
    try:
        COMMANDS[command]()
    except SettingsError as error:
        print(f"stats: {error}", file=sys.stderr)
        return 78  # EX_CONFIG
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
