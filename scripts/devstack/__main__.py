"""``python -m scripts.devstack up|down [--data-dir DIR]``: what ``just up`` and ``just down`` run."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import scripts.devstack
from scripts.devstack.paths import DATA_DIR
from scripts.devstack.runner import down, up


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, run ``up`` or ``down``; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m scripts.devstack",
        description=scripts.devstack.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", choices=["up", "down"])
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    args = parser.parse_args(argv)
    return up(args.data_dir) if args.command == "up" else down(args.data_dir)


if __name__ == "__main__":
    sys.exit(main())
