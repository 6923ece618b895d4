"""``python -m <process> [command]``: the one command line and the one log format of every process.

:func:`main` runs one of a process's commands (the first is the default). An unknown command prints
the usage and exits 2; a :class:`~servicekit.settings.SettingsError` prints the process's name and
the message (which names the variable) and exits 78, ``EX_CONFIG`` from ``sysexits.h``, so that a
supervisor can tell "fix the configuration" from a crash.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Mapping, Sequence

from servicekit.settings import SettingsError, logging_level

EX_USAGE = 2
EX_CONFIG = 78
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"

Command = Callable[[], None]


def main(process: str, commands: Mapping[str, Command], argv: Sequence[str]) -> int:
    """Run the command ``argv`` names (the first of ``commands`` without one); the exit status."""
    command = argv[0] if argv else next(iter(commands))
    if command not in commands:
        print(f"usage: python -m {process} [{'|'.join(commands)}]", file=sys.stderr)
        return EX_USAGE
    try:
        commands[command]()
    except SettingsError as error:
        print(f"{process}: {error}", file=sys.stderr)
        return EX_CONFIG
    return 0


def configure_logging(level: str) -> None:
    """Log to stderr at ``level`` (a ``FLOCK_LOG_LEVEL`` value), one line per record. Called by the
    process, never by a library or an app factory: building things has no side effects."""
    logging.basicConfig(level=logging_level(level), format=LOG_FORMAT)
